import { Box, HStack, Link, NativeSelect, Table, Text } from "@chakra-ui/react";
import { useState } from "react";

import { apiUrl, basePath, dagDisplayNames, getJson } from "../api";
import { DurationsOverTime, StepDurations } from "../charts";
import { count, duration, megabytes, percent } from "../format";
import { Empty, Loading, Problem, Section } from "../parts";
import { useFetch } from "../useFetch";

type Stats = { avg: number | null; min: number | null; max: number | null; p50: number | null; p95: number | null };
type Group = {
  runs: number;
  success_rate: number | null;
  duration_ms: Stats;
  peak_memory_mb: { avg: number | null; max: number | null };
  memory_unknown_runs: number;
  pages_per_second: number | null;
};
type Workflow = Group & { series: { run_id: string; start: string; duration_ms: number; state: string }[] };
type Aggregates = { workflows: Record<string, Workflow>; steps: Record<string, Record<string, Group>> };

const PERIODS: [string, string][] = [
  ["1d", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["", "All time"],
];

/** Per-workflow and per-step statistics with charts; one DAG's when opened from its page. */
export const MetricsOverview = ({ dagId }: { dagId?: string }) => {
  const [since, setSince] = useState("30d");
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const url = apiUrl("metrics", { dag_id: dagId, since });
  const metrics = useFetch(url, (signal) => getJson<Aggregates>(url, signal));
  const names = Object.keys(metrics.data?.workflows ?? {});
  const shown = dagId ?? (picked && names.includes(picked) ? picked : names[0]);
  const workflow = shown ? metrics.data?.workflows[shown] : undefined;
  // Airflow's display names, as its own DAG pages show them; a dag_id until they come (or if
  // they cannot be read).
  const displayNames = useFetch("dag-display-names", (signal) => dagDisplayNames(signal));
  const nameOf = (id: string): string => displayNames.data?.[id] ?? id;
  const steps = shown ? metrics.data?.steps[shown] ?? {} : {};

  return (
    <Box p={dagId ? 2 : 4} data-testid="metrics-overview">
      <HStack mb={4} gap={4} wrap="wrap">
        {!dagId && (
          <Text fontSize="xl" fontWeight="semibold">
            Bluelabel metrics
          </Text>
        )}
        <NativeSelect.Root size="sm" width="200px">
          <NativeSelect.Field aria-label="Period" value={since} onChange={(e) => setSince(e.currentTarget.value)}>
            {PERIODS.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
        <Link href={`${basePath()}bluelabel/report?since=${since || "3650d"}${dagId ? `&dag_id=${encodeURIComponent(dagId)}` : ""}`} target="_blank" colorPalette="brand">
          Performance report
        </Link>
      </HStack>
      {metrics.loading && !metrics.data && <Loading what="metrics" />}
      {metrics.error && <Problem error={metrics.error} title="Metrics unavailable" />}
      {metrics.data && names.length === 0 && <Empty>No runs in this period.</Empty>}
      {metrics.data && names.length > 0 && (
        <>
          {!dagId && (
            <Section title="Workflows">
              <Table.Root size="sm" interactive data-testid="workflows-table">
                <Table.Header>
                  <Table.Row>
                    {["Workflow", "Runs", "Success", "Average", "Median", "p95", "Longest", "Peak memory", "Pages/s"].map((h) => (
                      <Table.ColumnHeader key={h}>{h}</Table.ColumnHeader>
                    ))}
                  </Table.Row>
                </Table.Header>
                <Table.Body>
                  {names.map((name) => {
                    const w = metrics.data?.workflows[name];
                    if (!w) return null;
                    return (
                      <Table.Row key={name} data-dag={name} onClick={() => setPicked(name)} cursor="pointer" bg={name === shown ? "bg.muted" : undefined}>
                        <Table.Cell fontWeight={name === shown ? "semibold" : undefined} title={name} data-testid="workflow-name">
                          {nameOf(name)}
                        </Table.Cell>
                        <Table.Cell>{count(w.runs)}</Table.Cell>
                        <Table.Cell>{percent(w.success_rate)}</Table.Cell>
                        <Table.Cell>{duration(w.duration_ms.avg)}</Table.Cell>
                        <Table.Cell>{duration(w.duration_ms.p50)}</Table.Cell>
                        <Table.Cell>{duration(w.duration_ms.p95)}</Table.Cell>
                        <Table.Cell>{duration(w.duration_ms.max)}</Table.Cell>
                        <Table.Cell>{megabytes(w.peak_memory_mb.max)}</Table.Cell>
                        <Table.Cell>{w.pages_per_second === null ? "–" : count(w.pages_per_second)}</Table.Cell>
                      </Table.Row>
                    );
                  })}
                </Table.Body>
              </Table.Root>
            </Section>
          )}
          {workflow && shown && (
            <>
              <Section title={`${nameOf(shown)}: run durations`}>
                <DurationsOverTime
                  title={`Run durations of ${nameOf(shown)}`}
                  points={workflow.series.map((p) => ({ at: p.start, ms: p.duration_ms, state: p.state, label: p.run_id }))}
                />
                <Text color="fg.muted" fontSize="sm" mt={1}>
                  One point per run, not joined: each run stands alone (green: succeeded, red: failed). A run lasts from its first task's start to its
                  last task's end.
                </Text>
              </Section>
              <Section title={`${nameOf(shown)}: steps`}>
                <StepDurations
                  title={`Average step durations of ${nameOf(shown)}`}
                  valueLabel="Average time per try (s)"
                  totalLabel="Average time per try"
                  steps={Object.entries(steps).map(([task, s]) => ({ label: task, total: s.duration_ms.avg, agent: null }))}
                />
                <Table.Root size="sm" mt={3} data-testid="steps-table" data-dag={shown}>
                  <Table.Header>
                    <Table.Row>
                      {["Step", "Tries", "Success", "Average", "p95", "Longest", "Peak memory", "Memory unknown"].map((h) => (
                        <Table.ColumnHeader key={h}>{h}</Table.ColumnHeader>
                      ))}
                    </Table.Row>
                  </Table.Header>
                  <Table.Body>
                    {Object.entries(steps).map(([task, s]) => (
                      <Table.Row key={task} data-task={task}>
                        <Table.Cell>{task}</Table.Cell>
                        <Table.Cell>{count(s.runs)}</Table.Cell>
                        <Table.Cell>{percent(s.success_rate)}</Table.Cell>
                        <Table.Cell>{duration(s.duration_ms.avg)}</Table.Cell>
                        <Table.Cell>{duration(s.duration_ms.p95)}</Table.Cell>
                        <Table.Cell>{duration(s.duration_ms.max)}</Table.Cell>
                        <Table.Cell>{megabytes(s.peak_memory_mb.max)}</Table.Cell>
                        <Table.Cell>{count(s.memory_unknown_runs)}</Table.Cell>
                      </Table.Row>
                    ))}
                  </Table.Body>
                </Table.Root>
              </Section>
            </>
          )}
        </>
      )}
    </Box>
  );
};
