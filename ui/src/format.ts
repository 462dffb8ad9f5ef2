// One way to show numbers, times and metadata in every view.
import dayjs from "dayjs";

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export const count = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : integer.format(value);

/** "1 document", "2 documents": a count with its noun ("s" added unless ``many`` is given). */
export const plural = (value: number, one: string, many = `${one}s`): string => `${count(value)} ${value === 1 ? one : many}`;

/** A duration in milliseconds, in the unit a person reads it in (the report uses the same
 * rule: human_duration in plugins/bluelabel/render/page.py). Rounded before the unit is
 * chosen, so 59,980 ms is "1 min 0 s", never "60.0 s" or "0 min 60 s". */
export const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return "–";
  if (Math.round(ms) < 1000) return `${integer.format(ms)} ms`;
  if (Math.round(ms / 100) < 600) return `${oneDecimal.format(ms / 1000)} s`;
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
};

export const megabytes = (mb: number | null | undefined): string =>
  mb === null || mb === undefined ? "unknown" : `${oneDecimal.format(mb)} MB`;

export const bytes = (value: number | null | undefined): string => {
  if (value === null || value === undefined) return "–";
  if (value < 1024) return `${integer.format(value)} B`;
  if (value < 1024 * 1024) return `${oneDecimal.format(value / 1024)} KB`;
  return `${oneDecimal.format(value / 1024 / 1024)} MB`;
};

export const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? "–" : `${integer.format(rate * 100)} %`;

/** A point in time, in the browser's time zone, to the second. */
export const dateTime = (value: string | null | undefined): string => {
  if (!value) return "–";
  const moment = dayjs(value);
  return moment.isValid() ? moment.format("YYYY-MM-DD HH:mm:ss") : value;
};

/** "3 minutes ago" style, for recent moments. */
export const ago = (value: string | number | null | undefined): string => {
  if (value === null || value === undefined) return "–";
  const seconds = Math.max(0, (Date.now() - dayjs(value).valueOf()) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129_600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
};

const LABELS: Record<string, string> = {
  author: "Author",
  subject: "Subject",
  creator: "Created with",
  producer: "Produced by",
  keywords: "Keywords",
  created: "Created",
  creation_date: "Created",
  modified: "Modified",
  mod_date: "Modified",
  page_count: "Pages",
  url: "URL",
  final_url: "Final URL",
  content_type: "Content type",
  http_content_type: "HTTP content type",
  language: "Language",
  encrypted: "Encrypted",
  file_name: "File name",
  file_size: "File size",
  fetched_at: "Fetched",
};

// PDF dates: D:20240131120000+01'00'
const pdfDate = /^D:(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?/u;

/** Words of a key that are written in capitals: "pdf_backend" -> "PDF backend". */
const ACRONYMS = new Set(["pdf", "url", "ocr", "html", "http", "id", "imap", "docx", "uid", "dpi"]);

/** A metadata key as a label: known ones by name, others "some_key" -> "Some key". */
export const metadataLabel = (key: string): string =>
  LABELS[key] ??
  key
    .split(/[_-]+/u)
    .filter(Boolean)
    .map((word) => (ACRONYMS.has(word.toLowerCase()) ? word.toUpperCase() : word))
    .join(" ")
    .replace(/^\w/u, (c) => c.toUpperCase());

/** A day as typed into a filter: "2026-12-07" (ISO, as every date here is shown), else null. */
export const isoDay = (value: string): string | null => {
  const day = value.trim();
  return /^\d{4}-\d{2}-\d{2}$/u.test(day) && dayjs(day).isValid() ? day : null;
};

export const metadataValue = (key: string, value: unknown): string => {
  if (value === null || value === undefined || value === "") return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return key.endsWith("size") || key.endsWith("bytes") ? bytes(value) : count(value);
  if (typeof value === "string") {
    const pdf = pdfDate.exec(value);
    if (pdf) {
      const [, y, mo, d, h = "00", mi = "00", s = "00"] = pdf;
      return dateTime(`${y}-${mo}-${d}T${h}:${mi}:${s}`);
    }
    if (/^\d{4}-\d{2}-\d{2}T/u.test(value)) return dateTime(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => metadataValue(key, v)).join(", ");
  return JSON.stringify(value);
};

export const CONTENT_TYPES: Record<string, string> = {
  pdf: "PDF",
  url: "Web page",
  text: "Text",
  html: "HTML",
  docx: "Word",
  email: "E-mail",
};

export const contentType = (value: string): string => CONTENT_TYPES[value] ?? value;
