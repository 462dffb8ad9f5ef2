import { Badge, Box, HStack, Progress as Bar, Stack, Table, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";

import { apiUrl, getJson } from "../api";
import { ago, count, plural } from "../format";
import { Empty, Loading, StateBadge } from "../parts";
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

/** A task instance of the run as Airflow has it (``/api/runs/{dag}/{run}/tasks``). */
export type TaskState = {
  task_id: string;
  map_index: number;
  label: string | null;
  state: string | null;
  try_number: number;
  reason: string | null;
};
export type MappedCount = { task_id: string; total: number; done: number; failed: number };
export type RunTasks = { state: string; finished: boolean; tasks: TaskState[]; mapped: MappedCount[] };

const UNITS: Record<string, string> = { extract: "pages", pages: "pages", documents: "documents", batch: "documents", urls: "URLs" };
const FAILED = new Set(["failed", "up_for_retry"]);
const POLL_MS = 3000;

const keyOf = (taskId: string, mapIndex: number) => `${taskId}\u0000${mapIndex}`;

/** A mapped instance's file: the last part of the label Airflow shows (a path or URL). */
export const fileOf = (label: string): string => label.replace(/[/\\]+$/u, "").split(/[/\\]/u).pop() || label;

/** "ingest · report.pdf" for a mapped instance, the task id otherwise. */
export const taskName = (taskId: string, mapIndex: number, label: string | null | undefined): string =>
  mapIndex >= 0 ? `${taskId} · ${label ? fileOf(label) : `#${mapIndex}`}` : taskId;

/** The run's task states, asked again every few seconds until the run has finished. */
const useRunTasks = (dagId?: string, runId?: string): { data?: RunTasks; failed: boolean } => {
  const [data, setData] = useState<RunTasks>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!dagId || !runId) return undefined;
    setData(undefined);
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const url = apiUrl(`runs/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}/tasks`);
    const load = async () => {
      try {
        const next = await getJson<RunTasks>(url, controller.signal);
        setData(next);
        setFailed(false);
        if (!next.finished) timer = setTimeout(load, POLL_MS);
      } catch {
        if (controller.signal.aborted) return;
        setFailed(true);
        timer = setTimeout(load, 4 * POLL_MS);
      }
    };
    void load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [dagId, runId]);
  return { data, failed };
};

type Row = { key: string; taskId: string; mapIndex: number; event?: ProgressEvent; task?: TaskState };

/** Live progress of a run's tasks (or one task), from the plugin's Server-Sent Events, with
 * each task's state: a failed task is red with its reason, a finished run is not "Live". */
export const Progress = ({ dagId, runId, taskId, mapIndex }: TaskProps) => {
  const [events, setEvents] = useState<Record<string, ProgressEvent>>({});
  const [connected, setConnected] = useState(false);
  const [, setTick] = useState(0);
  const run = useRunTasks(dagId, runId);

  useEffect(() => {
    if (!dagId || !runId) return undefined;
    setEvents({});
    setConnected(false);
    const source = new EventSource(apiUrl("progress", { dag_id: dagId, run_id: runId }), { withCredentials: true });
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.onmessage = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as ProgressEvent;
      setEvents((previous) => ({ ...previous, [keyOf(event.task_id, event.map_index)]: event }));
    };
    const timer = setInterval(() => setTick((n) => n + 1), 5000); // keeps "3 s ago" current
    return () => {
      source.close();
      clearInterval(timer);
    };
  }, [dagId, runId]);

  const mine = (t: string, m: number) => !taskId || (t === taskId && (mapIndex === undefined || String(m) === mapIndex));
  const tasks = new Map((run.data?.tasks ?? []).map((t) => [keyOf(t.task_id, t.map_index), t]));
  const rows = new Map<string, Row>();
  for (const [key, event] of Object.entries(events)) {
    if (mine(event.task_id, event.map_index)) rows.set(key, { key, taskId: event.task_id, mapIndex: event.map_index, event, task: tasks.get(key) });
  }
  for (const [key, task] of tasks) {
    // every instance of a mapped step (a batch's files), and any failed task, reported or not
    const wanted = task.map_index >= 0 || FAILED.has(task.state ?? "");
    if (wanted && mine(task.task_id, task.map_index) && !rows.has(key)) {
      rows.set(key, { key, taskId: task.task_id, mapIndex: task.map_index, task });
    }
  }
  const shown = [...rows.values()].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
  const mapped = (run.data?.mapped ?? []).filter((m) => !taskId || m.task_id === taskId);
  const finished = run.data?.finished ?? false;
  const waiting = run.data === undefined && Object.keys(events).length === 0 && !run.failed;

  let badge;
  if (finished && run.data) badge = <StateBadge state={run.data.state} />;
  else if (connected) badge = <Badge colorPalette="success" variant="subtle">Live</Badge>;
  else badge = <Badge colorPalette="none" variant="subtle">Connecting…</Badge>;

  return (
    <Box p={2} data-testid="progress-view">
      <HStack mb={3} gap={3}>
        <Box data-testid="progress-live">{badge}</Box>
        <Text color="fg.muted" fontSize="sm">
          {finished
            ? "The run has finished: where each task ended."
            : "Ingest tasks report pages of a PDF and documents of a batch as they go (at most four updates a second)."}
        </Text>
      </HStack>
      {mapped.length > 0 && (
        <Stack gap={2} mb={4} data-testid="batch-progress">
          {mapped.map((m) => (
            <HStack key={m.task_id} gap={3}>
              <Text fontSize="sm" minW="120px" fontWeight="medium">{m.task_id}</Text>
              <Bar.Root value={m.total ? (100 * m.done) / m.total : 0} size="sm" flex="1" maxW="420px" colorPalette={m.failed ? "failed" : "success"}>
                <Bar.Track>
                  <Bar.Range />
                </Bar.Track>
              </Bar.Root>
              <Text fontSize="sm" whiteSpace="nowrap">
                {count(m.done)} of {plural(m.total, "document")} done
                {m.failed ? ` · ${count(m.failed)} failed` : ""}
              </Text>
            </HStack>
          ))}
        </Stack>
      )}
      {waiting ? (
        <Loading what="progress" />
      ) : shown.length === 0 ? (
        <Empty>{emptyMessage(run.data, Boolean(taskId))}</Empty>
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
          <Table.Body>{shown.map((row) => <ProgressRow key={row.key} row={row} />)}</Table.Body>
        </Table.Root>
      )}
    </Box>
  );
};

const ProgressRow = ({ row }: { row: Row }) => {
  const { event: e, task } = row;
  const failed = FAILED.has(task?.state ?? "");
  const done = e ? e.final && !failed : task?.state === "success";
  const share = e && e.total > 0 ? Math.min(100, (100 * e.done) / e.total) : done || failed ? 100 : 0;
  const tryNumber = e?.try_number ?? task?.try_number ?? 1;
  return (
    <Table.Row data-task={row.taskId} data-state={task?.state ?? ""}>
      <Table.Cell title={task?.label ?? undefined}>
        {taskName(row.taskId, row.mapIndex, task?.label)}
        {tryNumber > 1 ? ` (try ${tryNumber})` : ""}
      </Table.Cell>
      <Table.Cell>{e?.stage ?? "–"}</Table.Cell>
      <Table.Cell>
        <HStack gap={3}>
          <Bar.Root value={share} size="sm" flex="1" colorPalette={failed ? "failed" : done ? "success" : "running"}>
            <Bar.Track>
              <Bar.Range />
            </Bar.Track>
          </Bar.Root>
          <Text fontSize="sm" whiteSpace="nowrap" data-testid="progress-count" color={failed ? "fg.error" : undefined}>
            {e ? `${count(e.done)} / ${count(e.total)} ${UNITS[e.stage] ?? ""}` : ""}
            {failed
              ? `${e ? " · " : ""}${task?.state === "up_for_retry" ? "failed, will retry" : "failed"}`
              : done
                ? `${e ? " · " : ""}done`
                : e
                  ? ""
                  : (task?.state ?? "waiting").replaceAll("_", " ")}
          </Text>
        </HStack>
        {failed && (
          <Text fontSize="sm" color="fg.error" mt={1} data-testid="failure-reason">
            {task?.reason ?? "The task did not say why: see its log."}
          </Text>
        )}
      </Table.Cell>
      <Table.Cell color="fg.muted">{e?.published_at ? ago(e.published_at * 1000) : "–"}</Table.Cell>
    </Table.Row>
  );
};

const emptyMessage = (run: RunTasks | undefined, oneTask: boolean): string => {
  if (oneTask) return run?.finished ? "This task reported no progress." : "This task has not reported progress.";
  if (run?.state === "failed") {
    const stopped = run.tasks.filter((t) => t.state && !["success", "skipped"].includes(t.state));
    const which = stopped.map((t) => `${taskName(t.task_id, t.map_index, t.label)} (${t.state})`).join(", ");
    return `The run failed${which ? `: ${which}` : ""}. No task reported progress or a reason; see the tasks' logs.`;
  }
  if (run?.finished) return "No task of this run reported progress (ingest tasks do, for PDFs and batches).";
  return "No task of this run has reported progress yet.";
};
