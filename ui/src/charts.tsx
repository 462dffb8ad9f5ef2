// Charts with axes, units and dates (Chart.js, as the Airflow UI itself uses).
import {
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  type ChartOptions,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  TimeScale,
  Tooltip,
} from "chart.js";
import "chartjs-adapter-dayjs-4";
import { Bar, Scatter } from "react-chartjs-2";

import { duration } from "./format";
import { usePalette } from "./theme";

ChartJS.register(BarElement, CategoryScale, Legend, LinearScale, LineElement, PointElement, TimeScale, Tooltip);

export type TimePoint = { at: string; ms: number; state: string; label: string };

const axisTitle = (text: string, color: string) => ({ display: true, text, color, font: { size: 12 } });

/** Run durations over time: x = run start (dates), y = seconds; one point per run, coloured by
 * state, and no line between them: separate runs are not a trend. */
export const DurationsOverTime = ({ points, title }: { points: TimePoint[]; title: string }) => {
  const colors = usePalette();
  const stateColor = (state: string) =>
    state === "success" ? colors.success : state === "failed" ? colors.failed : colors.other;
  // Room on either side, so that no point sits on the chart's edge: 5 % of the span; a run
  // alone gets an hour around it, not a millisecond-wide axis.
  const times = points.map((p) => new Date(p.at).valueOf());
  const first = times.length ? Math.min(...times) : undefined;
  const last = times.length ? Math.max(...times) : undefined;
  const margin = first === last ? 1_800_000 : ((last ?? 0) - (first ?? 0)) * 0.05;
  const options: ChartOptions<"scatter"> = {
    animation: false,
    maintainAspectRatio: false,
    plugins: {
      legend: { display: false },
      title: { display: false },
      tooltip: {
        callbacks: {
          label: (item) => {
            const point = points[item.dataIndex];
            return point ? `${point.label}: ${duration(point.ms)} (${point.state})` : "";
          },
        },
      },
    },
    scales: {
      x: {
        type: "time",
        min: first === undefined ? undefined : first - margin,
        max: last === undefined ? undefined : last + margin,
        time: {
          tooltipFormat: "YYYY-MM-DD HH:mm:ss",
          displayFormats: {
            millisecond: "MMM D HH:mm:ss.SSS",
            second: "MMM D HH:mm:ss",
            minute: "MMM D HH:mm",
            hour: "MMM D HH:mm",
            day: "MMM D",
            week: "MMM D",
            month: "MMM YYYY",
          },
        },
        title: axisTitle("Run start (local time)", colors.muted),
        ticks: { color: colors.muted, maxRotation: 0, autoSkipPadding: 24 },
        grid: { color: colors.grid },
      },
      y: {
        beginAtZero: true,
        grace: "10%", // the longest run below the top edge
        title: axisTitle("Duration (s)", colors.muted),
        ticks: { color: colors.muted },
        grid: { color: colors.grid },
      },
    },
  };
  const data = {
    datasets: [
      {
        label: title,
        data: points.map((p) => ({ x: new Date(p.at).valueOf(), y: p.ms / 1000 })),
        showLine: false,
        borderColor: points.map((p) => stateColor(p.state)),
        backgroundColor: points.map((p) => stateColor(p.state)),
        pointRadius: 5,
        pointHoverRadius: 7,
      },
    ],
  };
  return (
    <div style={{ height: 260, position: "relative" }} role="img" aria-label={title} data-chart="points">
      <Scatter data={data} options={options} />
    </div>
  );
};

export type StepBar = { label: string; total: number | null; agent: number | null };

/** Per step: Airflow's task time beside the agent's own share, horizontal bars in seconds. */
export const StepDurations = ({
  steps,
  title,
  valueLabel,
  totalLabel = "Task (Airflow start to end)",
}: {
  steps: StepBar[];
  title: string;
  valueLabel: string;
  totalLabel?: string;
}) => {
  const colors = usePalette();
  const options: ChartOptions<"bar"> = {
    animation: false,
    indexAxis: "y",
    maintainAspectRatio: false,
    plugins: {
      legend: { labels: { color: colors.fg } },
      tooltip: { callbacks: { label: (item) => `${item.dataset.label ?? ""}: ${duration((item.raw as number) * 1000)}` } },
    },
    scales: {
      x: {
        beginAtZero: true,
        title: axisTitle(valueLabel, colors.muted),
        ticks: { color: colors.muted },
        grid: { color: colors.grid },
      },
      y: { ticks: { color: colors.fg }, grid: { display: false } },
    },
  };
  const datasets = [
    { label: totalLabel, data: steps.map((s) => (s.total ?? 0) / 1000), backgroundColor: colors.brand },
  ];
  if (steps.some((s) => s.agent !== null)) {
    datasets.push({ label: "Agent's share", data: steps.map((s) => (s.agent ?? 0) / 1000), backgroundColor: colors.agent });
  }
  const data = { labels: steps.map((s) => s.label), datasets };
  return (
    <div style={{ height: Math.max(140, 46 * steps.length + 70), position: "relative" }} role="img" aria-label={title}>
      <Bar data={data} options={options} />
    </div>
  );
};
