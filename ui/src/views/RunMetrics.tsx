import { Box, SimpleGrid, Stat, Table, Text } from "@chakra-ui/react";

import { apiUrl, getJson } from "../api";
import { StepDurations } from "../charts";
import { count, dateTime, duration, megabytes } from "../format";
import { Empty, Loading, Problem, Section, StateBadge } from "../parts";
import { useFetch } from "../useFetch";
import { taskName } from "./Progress";
import type { RunTasks, TaskState } from "./Progress";
import type { TaskProps } from "./RunDigest";

type StepTry = {
  task_id: string;
  map_index: number;
  try_number: number;
  state: string;
  start: string | null;
  duration_ms: number | null;
  agent_ms: number | null;
  cpu_ms: number | null;
  peak_memory_mb: number | null;
  memory_delta_mb: number | null;
  pages: number | null;
  breakdown: Record<string, number>;
};

type RunMetricsData = {
  state: string | null;
  wall_ms: number | null;
  cpu_ms: number;
  peak_memory_mb: number | null;
  pages: number;
  steps: StepTry[];
};

const Figure = ({ label, value, help }: { label: string; value: string; help: string }) => (
  <Stat.Root borderWidth="1px" borderColor="border" borderRadius="md" p={3}>
    <Stat.Label>{label}</Stat.Label>
    <Stat.ValueText data-testid={`figure-${label}`}>{value}</Stat.ValueText>
    <Stat.HelpText color="fg.muted">{help}</Stat.HelpText>
  </Stat.Root>
);

/** A try as "ingest · report.pdf try 2": a mapped instance by its file (Airflow's label). */
const label = (s: StepTry, tasks: Map<string, TaskState>) =>
  `${taskName(s.task_id, s.map_index, tasks.get(`${s.task_id}\u0000${s.map_index}`)?.label)}${s.try_number > 1 ? ` try ${s.try_number}` : ""}`;

/** Wall, CPU, peak memory, pages and the step breakdown of one run (or one task of it). */
export const RunMetrics = ({ dagId, runId, taskId, mapIndex }: TaskProps) => {
  const url = dagId && runId ? apiUrl(`runs/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}/metrics`) : null;
  const run = useFetch(url, (signal) => getJson<RunMetricsData>(url ?? "", signal));
  const tasksUrl = dagId && runId ? apiUrl(`runs/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}/tasks`) : null;
  const states = useFetch(tasksUrl, (signal) => getJson<RunTasks>(tasksUrl ?? "", signal));
  const tasks = new Map((states.data?.tasks ?? []).map((t) => [`${t.task_id}\u0000${t.map_index}`, t]));
  if (run.loading && !run.data) return <Loading what="the run's metrics" />;
  if (run.error) return <Problem error={run.error} title="No metrics" />;
  if (!run.data) return null;
  const steps = run.data.steps.filter(
    (s) => !taskId || (s.task_id === taskId && (mapIndex === undefined || String(s.map_index) === mapIndex)),
  );
  const own = taskId !== undefined;
  const wall = own ? steps.reduce((t, s) => t + (s.duration_ms ?? 0), 0) : run.data.wall_ms;
  const cpu = steps.reduce((t, s) => t + (s.cpu_ms ?? 0), 0);
  const peaks = steps.map((s) => s.peak_memory_mb).filter((m): m is number => m !== null);
  const pages = steps.reduce((t, s) => t + (s.pages ?? 0), 0);
  return (
    <Box p={2} data-testid="run-metrics">
      <SimpleGrid columns={{ base: 2, lg: 4 }} gap={3} mb={6}>
        <Figure label="Wall time" value={duration(wall)} help={own ? "Airflow's start to end, every try" : "first task start to last task end"} />
        <Figure label="CPU time" value={duration(cpu)} help="the task processes and their extraction workers" />
        <Figure label="Peak memory" value={megabytes(peaks.length ? Math.max(...peaks) : null)} help="largest task process (ru_maxrss)" />
        <Figure label="Pages" value={count(pages)} help="PDF pages ingested" />
      </SimpleGrid>
      {steps.length === 0 ? (
        <Empty>No task of this run has run yet.</Empty>
      ) : (
        <>
          <Section title="Steps">
            <StepDurations
              steps={steps.map((s) => ({ label: label(s, tasks), total: s.duration_ms, agent: s.agent_ms }))}
              title="Task time and the agent's share, per try"
              valueLabel="Time (s)"
            />
          </Section>
          <Section title="Every try">
            <Table.Root size="sm" data-testid="steps-table">
              <Table.Header>
                <Table.Row>
                  {["Task", "Try", "State", "Started", "Task time", "Agent's share", "Input load / init / run", "CPU", "Peak memory", "Pages"].map((h) => (
                    <Table.ColumnHeader key={h}>{h}</Table.ColumnHeader>
                  ))}
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {steps.map((s) => (
                  <Table.Row key={`${s.task_id}-${s.map_index}-${s.try_number}`} data-task={s.task_id}>
                    <Table.Cell>{taskName(s.task_id, s.map_index, tasks.get(`${s.task_id}\u0000${s.map_index}`)?.label)}</Table.Cell>
                    <Table.Cell>{s.try_number}</Table.Cell>
                    <Table.Cell>
                      <StateBadge state={s.state} />
                      {s.state === "failed" && tasks.get(`${s.task_id}\u0000${s.map_index}`)?.try_number === s.try_number && (
                        <Text fontSize="xs" color="fg.error" mt={1} maxW="280px" data-testid="failure-reason">
                          {tasks.get(`${s.task_id}\u0000${s.map_index}`)?.reason ?? ""}
                        </Text>
                      )}
                    </Table.Cell>
                    <Table.Cell whiteSpace="nowrap">{dateTime(s.start)}</Table.Cell>
                    <Table.Cell>{duration(s.duration_ms)}</Table.Cell>
                    <Table.Cell>{duration(s.agent_ms)}</Table.Cell>
                    <Table.Cell color="fg.muted" whiteSpace="nowrap">
                      {Object.keys(s.breakdown).length
                        ? ["input_load", "agent_init", "agent_run"].map((k) => duration(s.breakdown[k])).join(" / ")
                        : "–"}
                    </Table.Cell>
                    <Table.Cell>{duration(s.cpu_ms)}</Table.Cell>
                    <Table.Cell>{megabytes(s.peak_memory_mb)}</Table.Cell>
                    <Table.Cell>{count(s.pages)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
            <Text color="fg.muted" fontSize="sm" mt={2}>
              Task time is Airflow's, from start to end of the try (process start-up included); the agent's share is the
              part spent loading the input and running the agent. Memory is unknown for tries killed before they could
              report it.
            </Text>
          </Section>
        </>
      )}
    </Box>
  );
};
