// Entry of the bundle: one component for every Bluelabel view. Airflow's UI renders it inside
// its own router, theme and colour mode, with the route's dagId/runId/taskId/mapIndex as
// props; the view is picked from the URL (/plugin/<url_route>/...).
import { Box, Text } from "@chakra-ui/react";
import { Component, type ReactNode } from "react";
import { useLocation } from "react-router-dom";

import { KnowledgeStore } from "./views/KnowledgeStore";
import { MetricsOverview } from "./views/MetricsOverview";
import { Progress } from "./views/Progress";
import { RunDigest, type TaskProps } from "./views/RunDigest";
import { RunMetrics } from "./views/RunMetrics";

class Boundary extends Component<{ children: ReactNode }, { error?: Error }> {
  state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (this.state.error) {
      return (
        <Box p={4}>
          <Text color="fg.error">This Bluelabel view failed: {this.state.error.message}</Text>
        </Box>
      );
    }
    return this.props.children;
  }
}

const view = (route: string, rest: string, props: TaskProps): ReactNode => {
  switch (route) {
    case "knowledge-store":
      return <KnowledgeStore rest={rest} />;
    case "bluelabel-metrics":
      return <MetricsOverview />;
    case "bluelabel-dag-metrics":
      return <MetricsOverview dagId={props.dagId} />;
    case "bluelabel-digest":
      return <RunDigest dagId={props.dagId} runId={props.runId} />;
    case "bluelabel-task-digest":
      return <RunDigest {...props} />;
    case "bluelabel-run-metrics":
      return <RunMetrics dagId={props.dagId} runId={props.runId} />;
    case "bluelabel-task-metrics":
      return <RunMetrics {...props} />;
    case "bluelabel-progress":
      return <Progress dagId={props.dagId} runId={props.runId} />;
    case "bluelabel-task-progress":
      return <Progress {...props} />;
    default:
      return <Text p={4}>Unknown Bluelabel view {route}.</Text>;
  }
};

const BluelabelView = (props: TaskProps) => {
  const { pathname } = useLocation();
  const match = /\/plugin\/([^/]+)(\/.*)?$/u.exec(pathname);
  const route = match?.[1] ?? "";
  return <Boundary key={route}>{view(route, match?.[2] ?? "", props)}</Boundary>;
};

// The UI looks the component up under each view's name (react_apps "name"); the bundle is
// imported once, so it registers itself under all of them.
for (const name of ["Knowledge", "Bluelabel metrics", "Digest", "Metrics", "Progress"]) {
  (globalThis as Record<string, unknown>)[name] = BluelabelView;
}

export default BluelabelView;
