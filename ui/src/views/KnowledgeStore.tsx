import { Badge, Box, Button, DataList, Flex, HStack, Input, Link, List, NativeSelect, Table, Tabs, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";
import { Link as RouterLink, useNavigate, useSearchParams } from "react-router-dom";

import { apiUrl, getJson } from "../api";
import { bytes, contentType, count, dateTime, isoDay, metadataLabel, metadataValue, plural } from "../format";
import { Empty, Loading, Problem, Section } from "../parts";
import { useFetch } from "../useFetch";
import { DigestFrame } from "./DigestFrame";
import { Downloads } from "./RunDigest";

const ROOT = "/plugin/knowledge-store";
const PAGE_SIZE = 25;

type Segment = { text: string; match: boolean };
type DocumentItem = {
  content_id: string;
  title: string;
  content_type: string;
  source: string;
  ingested_at: string;
  tags: string[];
  page_count: number | null;
  content_length: number;
  summary: string;
  snippet: Segment[];
};
type DocumentList = { items: DocumentItem[]; total: number; more?: boolean; offset: number; limit: number; indexed: number };
type Facets = { types: Record<string, number>; tags: Record<string, number> };
type Ingest = { dag_id: string; run_id: string; task_id: string; map_index: number; at: string | null };
type DocumentDetail = DocumentItem & {
  source_bytes: number | null;
  text_layer: boolean;
  warnings: string[];
  metadata: Record<string, unknown>;
  key_points: string[];
  keywords: string[];
  ingests: Ingest[];
  text_preview: string;
};
type DigestFile = {
  folder: string;
  name: string;
  format: string;
  bytes: number | null;
  files: Record<string, string>;
  title: string | null;
  generated_at: string | null;
  dag_id: string | null;
  run_id: string | null;
  task_id: string | null;
  documents: number | null;
  failed: number;
};
/** The API's download ``format`` -> the file format it names. */
const FILE_FORMAT: Record<string, string> = { md: "markdown", html: "html", json: "json" };

/** The nav view: documents (search, filters, pages), one document, the digests. */
export const KnowledgeStore = ({ rest }: { rest: string }) => {
  const parts = rest.split("/").filter(Boolean).map(decodeURIComponent);
  const tab = parts[0] === "digests" ? "digests" : "documents";
  const navigate = useNavigate();
  let body;
  if (parts[0] === "documents" && parts[1]) body = <DocumentPage contentId={parts[1]} />;
  else if (parts[0] === "digests" && parts[1] && parts[2]) body = <DigestPage folder={parts[1]} name={parts[2]} />;
  else if (tab === "digests") body = <DigestList />;
  else body = <DocumentSearch />;
  return (
    <Box p={4} data-testid="knowledge-store">
      <Text fontSize="xl" fontWeight="semibold" mb={2}>
        Knowledge store
      </Text>
      <Tabs.Root value={tab} onValueChange={(e) => navigate(e.value === "digests" ? `${ROOT}/digests` : ROOT)} mb={4} size="sm">
        <Tabs.List>
          <Tabs.Trigger value="documents">Documents</Tabs.Trigger>
          <Tabs.Trigger value="digests">Digests</Tabs.Trigger>
        </Tabs.List>
      </Tabs.Root>
      {body}
    </Box>
  );
};

const Snippet = ({ item }: { item: DocumentItem }) =>
  item.snippet.length ? (
    <Text fontSize="sm" color="fg.muted" lineClamp={2} data-testid="snippet">
      {item.snippet.map((s, i) =>
        s.match ? (
          <Box as="mark" key={i} bg="yellow.subtle" color="fg" px="1px">
            {s.text}
          </Box>
        ) : (
          <span key={i}>{s.text}</span>
        ),
      )}
    </Text>
  ) : (
    <Text fontSize="sm" color="fg.muted" lineClamp={2}>
      {item.summary}
    </Text>
  );

const useDebounced = (value: string, ms: number): string => {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
};

/** A day filter typed as YYYY-MM-DD (the ISO form every date here is shown in, whatever the
 * browser's locale would make of a date picker); applied once it is a whole day, or empty. */
const DayInput = ({ label, value, onChange }: { label: string; value: string; onChange: (day: string) => void }) => {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const valid = text === "" || isoDay(text) !== null;
  return (
    <Input
      aria-label={label}
      aria-invalid={!valid}
      data-testid={label}
      inputMode="numeric"
      maxLength={10}
      onChange={(e) => {
        const typed = e.currentTarget.value;
        setText(typed);
        if (typed.trim() === "") onChange("");
        else if (isoDay(typed)) onChange(isoDay(typed) ?? "");
      }}
      placeholder="YYYY-MM-DD"
      size="sm"
      value={text}
      width="130px"
    />
  );
};

const DocumentSearch = () => {
  const [params, setParams] = useSearchParams();
  const [words, setWords] = useState(params.get("q") ?? "");
  const q = useDebounced(words, 250);
  const page = Math.max(0, Number(params.get("page") ?? "0") || 0);
  const filter = (key: string) => params.get(key) ?? "";
  const update = (changes: Record<string, string>) =>
    setParams((previous) => {
      const next = new URLSearchParams(previous);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      if (!("page" in changes)) next.delete("page");
      return next;
    }, { replace: true });

  useEffect(() => {
    if (q !== (params.get("q") ?? "")) update({ q });
    // only when the settled words change
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  const since = filter("from") ? `${filter("from")}T00:00:00` : undefined;
  const until = filter("to") ? `${filter("to")}T23:59:59.999` : undefined;
  const url = apiUrl("documents", {
    q: filter("q"),
    type: filter("type"),
    tag: filter("tag"),
    source: filter("source"),
    since: since ? new Date(since).toISOString() : undefined,
    until: until ? new Date(until).toISOString() : undefined,
    limit: PAGE_SIZE,
    offset: page * PAGE_SIZE,
  });
  const documents = useFetch(url, (signal) => getJson<DocumentList>(url, signal));
  const facetsUrl = apiUrl("documents/facets");
  const facets = useFetch(facetsUrl, (signal) => getJson<Facets>(facetsUrl, signal));
  const data = documents.data;
  const first = data ? data.offset + 1 : 0;
  const last = data ? data.offset + data.items.length : 0;

  return (
    <Box>
      <Flex gap={3} wrap="wrap" mb={3} align="end">
        <Input
          aria-label="Search"
          data-testid="search"
          flex="2 1 280px"
          onChange={(e) => setWords(e.currentTarget.value)}
          placeholder="Search titles, summaries and text"
          size="sm"
          value={words}
        />
        <NativeSelect.Root size="sm" width="160px">
          <NativeSelect.Field aria-label="Type" value={filter("type")} onChange={(e) => update({ type: e.currentTarget.value })}>
            <option value="">Any type</option>
            {Object.entries(facets.data?.types ?? {}).map(([type, n]) => (
              <option key={type} value={type}>
                {contentType(type)} ({count(n)})
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
        <NativeSelect.Root size="sm" width="180px">
          <NativeSelect.Field aria-label="Tag" value={filter("tag")} onChange={(e) => update({ tag: e.currentTarget.value })}>
            <option value="">Any tag</option>
            {Object.entries(facets.data?.tags ?? {}).map(([tag, n]) => (
              <option key={tag} value={tag}>
                {tag} ({count(n)})
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
        <Input aria-label="Source" size="sm" width="200px" placeholder="Source contains" defaultValue={filter("source")}
          onBlur={(e) => update({ source: e.currentTarget.value })}
          onKeyDown={(e) => e.key === "Enter" && update({ source: e.currentTarget.value })} />
        <HStack gap={1}>
          <Text fontSize="sm" color="fg.muted">From</Text>
          <DayInput label="Ingested from" value={filter("from")} onChange={(day) => update({ from: day })} />
          <Text fontSize="sm" color="fg.muted">to</Text>
          <DayInput label="Ingested until" value={filter("to")} onChange={(day) => update({ to: day })} />
        </HStack>
      </Flex>
      {documents.error && <Problem error={documents.error} title="Search failed" />}
      {documents.loading && !data && <Loading what="documents" />}
      {data && data.items.length === 0 && <Empty>{data.indexed === 0 ? "The knowledge store has no documents yet." : "No document matches."}</Empty>}
      {data && data.items.length > 0 && (
        <>
          <Table.Root size="sm" data-testid="documents-table">
            <Table.Header>
              <Table.Row>
                {["Document", "Type", "Ingested", "Pages", "Characters"].map((h) => (
                  <Table.ColumnHeader key={h}>{h}</Table.ColumnHeader>
                ))}
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {data.items.map((item) => (
                <Table.Row key={item.content_id} data-content-id={item.content_id}>
                  <Table.Cell maxW="640px">
                    <Link asChild colorPalette="brand" fontWeight="medium">
                      <RouterLink to={`${ROOT}/documents/${encodeURIComponent(item.content_id)}`}>{item.title}</RouterLink>
                    </Link>
                    <Text fontSize="xs" color="fg.muted" truncate>
                      {item.source}
                    </Text>
                    <Snippet item={item} />
                    {item.tags.length > 0 && (
                      <HStack gap={1} mt={1}>
                        {item.tags.map((t) => <Badge key={t} size="sm" variant="outline">{t}</Badge>)}
                      </HStack>
                    )}
                  </Table.Cell>
                  <Table.Cell>{contentType(item.content_type)}</Table.Cell>
                  <Table.Cell whiteSpace="nowrap">{dateTime(item.ingested_at)}</Table.Cell>
                  <Table.Cell>{count(item.page_count)}</Table.Cell>
                  <Table.Cell>{count(item.content_length)}</Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table.Root>
          <HStack mt={3} justify="space-between">
            <Text fontSize="sm" color="fg.muted" data-testid="result-count">
              {data.total === 1 && first === 1
                ? "1 document"
                : `${count(first)}–${count(last)} of ${data.more ? `${count(data.total)}+ documents` : plural(data.total, "document")}`}
            </Text>
            <HStack>
              <Button size="xs" variant="outline" disabled={page === 0} onClick={() => update({ page: String(page - 1) })}>
                Previous
              </Button>
              <Button size="xs" variant="outline" disabled={last >= data.total} onClick={() => update({ page: String(page + 1) })}>
                Next
              </Button>
            </HStack>
          </HStack>
        </>
      )}
    </Box>
  );
};

const DocumentPage = ({ contentId }: { contentId: string }) => {
  const url = apiUrl(`documents/${encodeURIComponent(contentId)}`);
  const doc = useFetch(url, (signal) => getJson<DocumentDetail>(url, signal));
  if (doc.loading && !doc.data) return <Loading what="the document" />;
  if (doc.error) return <Problem error={doc.error} title="Document not found" />;
  const d = doc.data;
  if (!d) return null;
  const facts: [string, string][] = [
    ["Type", contentType(d.content_type)],
    ["Ingested", dateTime(d.ingested_at)],
    ["Pages", count(d.page_count)],
    ["Characters", count(d.content_length)],
    ["File size", bytes(d.source_bytes)],
    ["Text layer", d.text_layer ? "yes" : "no (scanned pages)"],
    ...Object.entries(d.metadata)
      .filter(([key]) => key !== "title" && key !== "page_count")
      .map(([key, value]): [string, string] => [metadataLabel(key), metadataValue(key, value)]),
  ];
  const isLink = /^https?:\/\//u.test(d.source);
  return (
    <Box data-testid="document-page" maxW="1100px">
      <Link asChild fontSize="sm" colorPalette="brand" mb={2}>
        <RouterLink to={ROOT}>← All documents</RouterLink>
      </Link>
      <Text fontSize="2xl" fontWeight="semibold" mb={1} data-testid="document-title">
        {d.title}
      </Text>
      <Text color="fg.muted" mb={4} fontSize="sm" wordBreak="break-all">
        {isLink ? <Link href={d.source} target="_blank" rel="noopener noreferrer">{d.source}</Link> : d.source}
      </Text>
      <Section title="Summary">
        <Text data-testid="summary">{d.summary || "No text to summarise."}</Text>
      </Section>
      {d.key_points.length > 0 && (
        <Section title="Key points">
          <List.Root ps={5} gap={1} data-testid="key-points">
            {d.key_points.map((p) => <List.Item key={p}>{p}</List.Item>)}
          </List.Root>
        </Section>
      )}
      <Section title="About this document">
        <DataList.Root orientation="horizontal" size="sm" data-testid="metadata">
          {facts.map(([label, value]) => (
            <DataList.Item key={label}>
              <DataList.ItemLabel minW="160px">{label}</DataList.ItemLabel>
              <DataList.ItemValue>{value}</DataList.ItemValue>
            </DataList.Item>
          ))}
        </DataList.Root>
        {d.warnings.length > 0 && <Text mt={2} color="fg.warning" fontSize="sm">{d.warnings.join(" · ")}</Text>}
      </Section>
      <Section title="Runs that ingested it">
        {d.ingests.length === 0 ? (
          <Empty>No recorded ingest by a DAG run you may see (documents added with the CLI have none).</Empty>
        ) : (
          <List.Root ps={5} data-testid="ingests">
            {d.ingests.map((i) => (
              <List.Item key={`${i.dag_id}-${i.run_id}-${i.task_id}-${i.map_index}`}>
                <Link asChild colorPalette="brand">
                  <RouterLink to={`/dags/${encodeURIComponent(i.dag_id)}/runs/${encodeURIComponent(i.run_id)}/tasks/${encodeURIComponent(i.task_id)}${i.map_index >= 0 ? `/mapped/${i.map_index}` : ""}`}>
                    {i.dag_id} / {i.run_id} / {i.task_id}
                  </RouterLink>
                </Link>
                {i.at ? ` · ${dateTime(i.at)}` : ""}
              </List.Item>
            ))}
          </List.Root>
        )}
      </Section>
      <Section title="Text (beginning)">
        <Box as="pre" whiteSpace="pre-wrap" fontSize="sm" bg="bg.muted" p={3} borderRadius="md" maxH="320px" overflow="auto">
          {d.text_preview || "(no text)"}
        </Box>
      </Section>
      <Text fontSize="xs" color="fg.muted">Content id {d.content_id}</Text>
    </Box>
  );
};

const digestFileUrl = (folder: string, name: string, download = false) =>
  apiUrl(`digests/${folder}/${encodeURIComponent(name)}`, { download: download ? "true" : undefined });

const DigestList = () => {
  const url = apiUrl("digests");
  const digests = useFetch(url, (signal) => getJson<DigestFile[]>(url, signal));
  if (digests.loading && !digests.data) return <Loading what="digests" />;
  if (digests.error) return <Problem error={digests.error} title="Digests unavailable" />;
  if (!digests.data?.length) return <Empty>No digest yet: run a digest workflow.</Empty>;
  return (
    <Table.Root size="sm" data-testid="digests-table">
      <Table.Header>
        <Table.Row>
          {["Digest", "Generated", "Run", "Documents", "Download"].map((h) => <Table.ColumnHeader key={h}>{h}</Table.ColumnHeader>)}
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {digests.data.map((d) => (
          <Table.Row key={`${d.folder}/${d.name}`} data-digest={d.name}>
            <Table.Cell>
              <Link asChild colorPalette="brand" fontWeight="medium">
                <RouterLink to={`${ROOT}/digests/${d.folder}/${encodeURIComponent(d.name)}`}>{d.title ?? d.name}</RouterLink>
              </Link>
              <Text fontSize="xs" color="fg.muted">
                {d.folder === "outbox" ? "Periodic digest (outbox)" : "Workflow digest (store)"}
              </Text>
            </Table.Cell>
            <Table.Cell whiteSpace="nowrap">{dateTime(d.generated_at)}</Table.Cell>
            <Table.Cell>
              {d.dag_id && d.run_id ? (
                <Link asChild colorPalette="brand" fontSize="sm">
                  <RouterLink to={`/dags/${encodeURIComponent(d.dag_id)}/runs/${encodeURIComponent(d.run_id)}`}>
                    {d.dag_id} / {d.run_id}
                  </RouterLink>
                </Link>
              ) : (
                <Text color="fg.muted" fontSize="sm">outside Airflow</Text>
              )}
            </Table.Cell>
            <Table.Cell whiteSpace="nowrap">
              {d.documents === null ? "–" : count(d.documents)}
              {d.failed > 0 && (
                <Text as="span" color="fg.error">{` · ${count(d.failed)} could not be read`}</Text>
              )}
            </Table.Cell>
            <Table.Cell>
              <Downloads
                href={(format) => (d.files[FILE_FORMAT[format] ?? ""] ? digestFileUrl(d.folder, d.files[FILE_FORMAT[format] ?? ""] ?? "", true) : null)}
              />
            </Table.Cell>
          </Table.Row>
        ))}
      </Table.Body>
    </Table.Root>
  );
};

const DigestPage = ({ folder, name }: { folder: string; name: string }) => (
  <Box data-testid="digest-page">
    <Link asChild fontSize="sm" colorPalette="brand" mb={2}>
      <RouterLink to={`${ROOT}/digests`}>← All digests</RouterLink>
    </Link>
    <HStack justify="space-between" mb={2} wrap="wrap">
      <Text fontWeight="semibold">{name}</Text>
      <Downloads
        href={(format) => digestFileUrl(folder, name.replace(/\.(md|html|json)$/u, `.${format}`), true)}
        testId="digest-downloads"
      />
    </HStack>
    <DigestFrame url={digestFileUrl(folder, name)} title={name} missing="Digest not found" />
  </Box>
);
