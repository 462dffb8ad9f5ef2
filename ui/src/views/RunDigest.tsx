import { Box, HStack, Link, Text } from "@chakra-ui/react";

import { apiUrl } from "../api";
import { DigestFrame } from "./DigestFrame";

export type TaskProps = { dagId?: string; runId?: string; taskId?: string; mapIndex?: string };

/** The three formats a digest downloads in: the API's ``format`` value and its label. */
export const DOWNLOADS: [string, string][] = [
  ["md", "Markdown"],
  ["html", "HTML"],
  ["json", "JSON"],
];

/** Links that download a digest in each format (``href`` of one format). */
export const Downloads = ({ href, testId }: { href: (format: string) => string | null; testId?: string }) => (
  <HStack gap={3} fontSize="sm" data-testid={testId}>
    <Text color="fg.muted">Download</Text>
    {DOWNLOADS.map(([format, label]) => {
      const url = href(format);
      return url ? (
        <Link key={format} href={url} download colorPalette="brand" data-format={format}>
          {label}
        </Link>
      ) : null;
    })}
  </HStack>
);

/** The digest a DAG run (or one of its tasks) produced, rendered, with its downloads. */
export const RunDigest = ({ dagId, runId, taskId, mapIndex }: TaskProps) => {
  if (!dagId || !runId) return null;
  const path = `runs/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}/digest`;
  const which = { task_id: taskId, map_index: taskId ? mapIndex : undefined };
  const url = apiUrl(path, which);
  return (
    <Box p={2}>
      <HStack justify="space-between" mb={2} wrap="wrap">
        <Text color="fg.muted" fontSize="sm">
          {taskId ? `The digest task ${taskId} produced in this run.` : "The digest this run produced (its newest digest task)."}
        </Text>
        <Downloads href={(format) => apiUrl(path, { ...which, format })} testId="digest-downloads" />
      </HStack>
      <DigestFrame url={url} title={`Digest of ${dagId} ${runId}`} missing="No digest" />
    </Box>
  );
};
