import { Badge, Box, HStack, Progress as Bar, Table, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";

import { apiUrl } from "../api";
import { ago, count } from "../format";
import { Empty } from "../parts";
import type { TaskProps } from "./RunDigest";

export type ProgressEvent = {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  stage: string;
  done: number;
  total: number;
  final: boolean;
  try_number: number | null;
  published_at: number | null;
};

const UNITS: Record<string, string> = { extract: "pages", pages: "pages", documents: "documents", batch: "documents" };

/** Live progress of a run's tasks (or one task), from the plugin's Server-Sent Events. */
export const Progress = ({ dagId, runId, taskId, mapIndex }: TaskProps) => {
  const [tasks, setTasks] = useState<Record<string, ProgressEvent>>({});
  const [live, setLive] = useState(false);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (!dagId || !runId) return undefined;
    setTasks({});
    const source = new EventSource(apiUrl("progress", { dag_id: dagId, run_id: runId }), { withCredentials: true });
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    source.onmessage = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as ProgressEvent;
      setTasks((previous) => ({ ...previous, [`${event.task_id}\u0000${event.map_index}`]: event }));
    };
    const timer = setInterval(() => setTick((n) => n + 1), 5000); // keeps "3 s ago" current
    return () => {
      source.close();
      clearInterval(timer);
    };
  }, [dagId, runId]);

  const wanted = Object.values(tasks)
    .filter((e) => !taskId || (e.task_id === taskId && (mapIndex === undefined || String(e.map_index) === mapIndex)))
    .sort((a, b) => a.task_id.localeCompare(b.task_id) || a.map_index - b.map_index);

  return (
    <Box p={2} data-testid="progress-view">
      <HStack mb={3} gap={3}>
        <Badge colorPalette={live ? "success" : "none"} variant="subtle" data-testid="progress-live">
          {live ? "Live" : "Connecting…"}
        </Badge>
        <Text color="fg.muted" fontSize="sm">
          Ingest tasks report pages of a PDF and documents of a batch as they go (at most four updates a second).
        </Text>
      </HStack>
      {wanted.length === 0 ? (
        <Empty>{taskId ? "This task has not reported progress." : "No task of this run has reported progress yet."}</Empty>
      ) : (
        <Table.Root size="sm" data-testid="progress-table">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeader>Task</Table.ColumnHeader>
              <Table.ColumnHeader>Stage</Table.ColumnHeader>
              <Table.ColumnHeader minW="240px">Progress</Table.ColumnHeader>
              <Table.ColumnHeader>Updated</Table.ColumnHeader>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {wanted.map((e) => {
              const share = e.total > 0 ? Math.min(100, (100 * e.done) / e.total) : e.final ? 100 : 0;
              return (
                <Table.Row key={`${e.task_id}-${e.map_index}`} data-task={e.task_id}>
                  <Table.Cell>
                    {e.task_id}
                    {e.map_index >= 0 ? ` [${e.map_index}]` : ""}
                    {e.try_number && e.try_number > 1 ? ` (try ${e.try_number})` : ""}
                  </Table.Cell>
                  <Table.Cell>{e.stage}</Table.Cell>
                  <Table.Cell>
                    <HStack gap={3}>
                      <Bar.Root value={share} size="sm" flex="1" colorPalette={e.final ? "success" : "running"}>
                        <Bar.Track>
                          <Bar.Range />
                        </Bar.Track>
                      </Bar.Root>
                      <Text fontSize="sm" whiteSpace="nowrap" data-testid="progress-count">
                        {count(e.done)} / {count(e.total)} {UNITS[e.stage] ?? ""}
                        {e.final ? " · done" : ""}
                      </Text>
                    </HStack>
                  </Table.Cell>
                  <Table.Cell color="fg.muted">{e.published_at ? ago(e.published_at * 1000) : "–"}</Table.Cell>
                </Table.Row>
              );
            })}
          </Table.Body>
        </Table.Root>
      )}
    </Box>
  );
};
