import { Box, Text } from "@chakra-ui/react";

import { apiUrl } from "../api";
import { DigestFrame } from "./DigestFrame";

export type TaskProps = { dagId?: string; runId?: string; taskId?: string; mapIndex?: string };

/** The digest a DAG run (or one of its tasks) produced, rendered. */
export const RunDigest = ({ dagId, runId, taskId, mapIndex }: TaskProps) => {
  if (!dagId || !runId) return null;
  const path = `runs/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}/digest`;
  const url = apiUrl(path, { task_id: taskId, map_index: taskId ? mapIndex : undefined });
  return (
    <Box p={2}>
      <Text color="fg.muted" fontSize="sm" mb={2}>
        {taskId ? `The digest task ${taskId} produced in this run.` : "The digest this run produced (its newest digest task)."}
      </Text>
      <DigestFrame url={url} title={`Digest of ${dagId} ${runId}`} missing="No digest" />
    </Box>
  );
};
