// Calls to the plugin's API (/bluelabel/api/...), with the Airflow UI's own session cookie.

/** The Airflow UI's base path ("/" or "/airflow/"), as its router uses it. */
export const basePath = (): string => {
  const href = document.querySelector("base")?.href ?? `${globalThis.location.origin}/`;
  return new URL(href).pathname.replace(/\/?$/u, "/");
};

export const apiUrl = (path: string, params: Record<string, string | number | undefined> = {}): string => {
  const url = new URL(`${basePath()}bluelabel/api/${path}`, globalThis.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
};

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const detailOf = async (response: Response): Promise<string> => {
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === "string") return body.detail;
    return JSON.stringify(body.detail ?? body);
  } catch {
    return response.statusText;
  }
};

const request = async (url: string, signal?: AbortSignal): Promise<Response> => {
  const response = await fetch(url, { credentials: "same-origin", signal });
  if (!response.ok) {
    const detail = response.status === 401 ? "Your Airflow session has ended: log in again." : await detailOf(response);
    throw new ApiError(response.status, detail);
  }
  return response;
};

export const getJson = async <T>(url: string, signal?: AbortSignal): Promise<T> =>
  (await (await request(url, signal)).json()) as T;

export const getText = async (url: string, signal?: AbortSignal): Promise<string> =>
  (await request(url, signal)).text();

type DagPage = { dags: { dag_id: string; dag_display_name?: string | null }[]; total_entries: number };

/** Airflow's display name of each DAG the user may read (``/api/v2/dags``, with the UI's own
 * session, page by page), for views that would otherwise show dag_ids. */
export const dagDisplayNames = async (signal?: AbortSignal): Promise<Record<string, string>> => {
  const names: Record<string, string> = {};
  const limit = 100; // Airflow's default [api] maximum_page_limit
  for (let offset = 0; offset < 10_000; offset += limit) {
    const url = `${basePath()}api/v2/dags?limit=${limit}&offset=${offset}&exclude_stale=false`;
    const page = await getJson<DagPage>(url, signal);
    for (const dag of page.dags) names[dag.dag_id] = dag.dag_display_name || dag.dag_id;
    if (page.dags.length < limit || offset + limit >= page.total_entries) break;
  }
  return names;
};
