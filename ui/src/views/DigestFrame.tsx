import { Box } from "@chakra-ui/react";

import { getText } from "../api";
import { Loading, Problem } from "../parts";
import { useFetch } from "../useFetch";

/** A digest page (the renderer's own standalone HTML) in a sandboxed frame: its styles apply,
 * no script runs, and it cannot reach the Airflow UI. */
export const DigestFrame = ({ url, title, missing }: { url: string; title: string; missing: string }) => {
  const page = useFetch(url, (signal) => getText(url, signal));
  if (page.loading && page.data === undefined) return <Loading what="the digest" />;
  if (page.error) return <Problem error={page.error} title={missing} />;
  return (
    <Box borderWidth="1px" borderColor="border" borderRadius="md" overflow="hidden" bg="bg">
      <iframe
        data-testid="digest-frame"
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        srcDoc={page.data}
        style={{ border: "none", display: "block", height: "75vh", width: "100%" }}
        title={title}
      />
    </Box>
  );
};
