// Small building blocks shared by the views, made of the Airflow UI's own Chakra components.
import { Alert, Badge, Box, Heading, Spinner, Text } from "@chakra-ui/react";
import type { ReactNode } from "react";

import { ApiError } from "./api";

export const Loading = ({ what }: { what: string }) => (
  <Box p={4} display="flex" alignItems="center" gap={2} color="fg.muted">
    <Spinner size="sm" /> <Text>Loading {what}…</Text>
  </Box>
);

export const Problem = ({ error, title }: { error: Error; title: string }) => (
  <Alert.Root status={error instanceof ApiError && error.status === 404 ? "info" : "error"} my={3} data-testid="problem">
    <Alert.Indicator />
    <Alert.Content>
      <Alert.Title>{title}</Alert.Title>
      <Alert.Description>{error.message}</Alert.Description>
    </Alert.Content>
  </Alert.Root>
);

export const Empty = ({ children }: { children: ReactNode }) => (
  <Text color="fg.muted" py={3} data-testid="empty">
    {children}
  </Text>
);

/** A task or run state, in Airflow's own state colours. */
export const StateBadge = ({ state }: { state: string | null | undefined }) => (
  <Badge colorPalette={state ?? "none"} variant="solid" textTransform="none">
    {state ?? "no status"}
  </Badge>
);

export const Section = ({ title, children, id }: { title: string; children: ReactNode; id?: string }) => (
  <Box as="section" mb={6} id={id}>
    <Heading size="md" mb={3}>
      {title}
    </Heading>
    {children}
  </Box>
);
