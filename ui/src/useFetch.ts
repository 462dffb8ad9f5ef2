import { useEffect, useState } from "react";

import { ApiError } from "./api";

export type Fetched<T> = { data?: T; error?: ApiError | Error; loading: boolean };

/** Runs `load` whenever `key` changes; the previous request is abandoned. */
export const useFetch = <T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Fetched<T> => {
  const [state, setState] = useState<Fetched<T>>({ loading: key !== null });

  useEffect(() => {
    if (key === null) {
      setState({ loading: false });
      return undefined;
    }
    const controller = new AbortController();
    setState((previous) => ({ data: previous.data, loading: true }));
    load(controller.signal)
      .then((data) => setState({ data, loading: false }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false });
      });
    return () => controller.abort();
    // `load` is recreated on every render; `key` says when the request changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  return state;
};
