"""What agents return: typed results with one way to become XCom (small JSON, never text).

Every agent returns an :class:`AgentResult`; the operator pushes ``to_xcom()`` and hands
``counts()`` to the metrics listener. Third-party agents may return a plain mapping, which
the operator wraps in :class:`MappingResult`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkCounts:
    """How much work a step did, for throughput figures (pages/s, bytes/s)."""

    pages: int | None = None
    bytes: int | None = None
    documents: int | None = None


@dataclass
class AgentResult:
    """Base of the built-in results: ``to_xcom()`` is every field, JSON-shaped."""

    def to_xcom(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def counts(self) -> WorkCounts:
        return WorkCounts()


@dataclass
class IngestResult(AgentResult):
    """One stored document (``content_id``, ``content_type``, ``metadata``, ``content_length``
    are the original Bluelabel contract)."""

    content_id: str
    content_type: str
    title: str | None
    source: str
    content_length: int
    text_layer: bool
    ingested_at: str
    store: str
    metadata: dict[str, Any] = field(default_factory=dict)
    page_count: int | None = None
    source_bytes: int | None = None
    warnings: list[str] = field(default_factory=list)
    deduplicated: bool = False

    def to_xcom(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["metadata"] = {"title": self.title, "source": self.source, **self.metadata}
        return data

    def counts(self) -> WorkCounts:
        return WorkCounts(pages=self.page_count, bytes=self.source_bytes, documents=1)


@dataclass
class UrlListResult(AgentResult):
    """Every URL of a batch inbox ``.url`` file, stored."""

    source: str
    content_ids: list[str]
    deduplicated_ids: list[str]
    titles: list[str | None]
    content_length: int
    content_type: str = "url"

    @property
    def url_count(self) -> int:
        return len(self.content_ids)

    def to_xcom(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "url_count": self.url_count}

    def counts(self) -> WorkCounts:
        return WorkCounts(documents=self.url_count)


@dataclass
class AttachmentEntry:
    """One attachment of a message: the document it became, or why it was not ingested."""

    part: str
    filename: str | None
    content_type: str
    content_id: str | None = None
    deduplicated: bool = False
    skipped: str | None = None


@dataclass
class MessageResult(AgentResult):
    """One email message (an ``.eml`` file, or one message of a mailbox): its body as a
    document (``content_id``, none when it has no text) and each supported attachment as its
    own; ``content_ids`` lists them all, for a digest downstream."""

    source: str
    content_id: str | None
    title: str | None
    content_length: int
    ingested_at: str
    store: str
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: list[AttachmentEntry] = field(default_factory=list)
    content_ids: list[str] = field(default_factory=list)
    deduplicated_ids: list[str] = field(default_factory=list)
    #: parts that could not be decoded, with the reason
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    deduplicated: bool = False
    source_bytes: int | None = None
    content_type: str = "email"

    def counts(self) -> WorkCounts:
        return WorkCounts(bytes=self.source_bytes, documents=len(self.content_ids))


@dataclass
class MailboxResult(AgentResult):
    """One run of the email agent over a mailbox folder."""

    mailbox: str
    folder: str
    search: str
    store: str
    messages: list[MessageResult] = field(default_factory=list)
    #: messages that could not be ingested at all: ``{"uid", "reason"}``
    failed: list[dict[str, str]] = field(default_factory=list)
    #: messages matching the search that this run did not reach (count or time limit)
    waiting: int = 0
    after: str = "seen"  # what was done to each message read: seen | moved to <folder>
    content_type: str = "email"

    @property
    def content_ids(self) -> list[str]:
        return list(dict.fromkeys(i for m in self.messages for i in m.content_ids))

    @property
    def deduplicated_ids(self) -> list[str]:
        return list(dict.fromkeys(i for m in self.messages for i in m.deduplicated_ids))

    def to_xcom(self) -> dict[str, Any]:
        messages = []
        for message in self.messages:
            entry = message.to_xcom()
            for key in ("store", "content_ids", "deduplicated_ids", "content_type"):
                entry.pop(key)
            messages.append(entry)
        return {
            **dataclasses.asdict(self),
            "messages": messages,
            "content_ids": self.content_ids,
            "deduplicated_ids": self.deduplicated_ids,
            "message_count": len(self.messages),
            "content_length": sum(m.content_length for m in self.messages),
        }

    def counts(self) -> WorkCounts:
        size = sum(m.source_bytes or 0 for m in self.messages)
        return WorkCounts(bytes=size, documents=len(self.content_ids))


@dataclass
class InboxFileResult(AgentResult):
    """One inbox file ingested and filed under ``processed/``."""

    inbox_file: str
    moved_to: str
    ingested: IngestResult | UrlListResult | MessageResult

    def to_xcom(self) -> dict[str, Any]:
        return {**self.ingested.to_xcom(), "inbox_file": self.inbox_file, "moved_to": self.moved_to}

    def counts(self) -> WorkCounts:
        return self.ingested.counts()


@dataclass
class InboxListing(AgentResult):
    """The files waiting in an inbox: ``items`` are the inputs of the mapped ingest tasks."""

    inbox: str
    items: list[dict[str, Any]]
    duplicates: list[dict[str, str]] = field(default_factory=list)
    quarantined: list[dict[str, str]] = field(default_factory=list)
    waiting: int = 0

    def to_xcom(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "count": len(self.items)}

    def counts(self) -> WorkCounts:
        return WorkCounts(documents=len(self.items))


@dataclass
class DigestResult(AgentResult):
    """A rendered digest: ``digest`` is the text in ``format``; ``html_path`` the styled page."""

    digest: str
    format: str
    summary_count: int
    content_ids: list[str]
    titles: list[str]
    digest_path: str | None
    html_path: str | None
    summarizer: str
    warnings: list[str] = field(default_factory=list)
    #: format (markdown, html, json) -> the file it was published as
    paths: dict[str, str] = field(default_factory=dict)
    #: what the run could not read, listed in the digest: ``{"source", "reason"}`` each
    failed: list[dict[str, str]] = field(default_factory=list)

    def counts(self) -> WorkCounts:
        return WorkCounts(documents=self.summary_count)


@dataclass
class PeriodicDigestResult(DigestResult):
    """A period's digest published to the outbox, with its figures."""

    period: dict[str, str] = field(default_factory=dict)
    document_count: int = 0
    overview: dict[str, Any] = field(default_factory=dict)
    workflows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MappingResult(AgentResult):
    """A third-party agent's plain mapping."""

    data: Mapping[str, Any]

    def to_xcom(self) -> dict[str, Any]:
        return dict(self.data)

    def counts(self) -> WorkCounts:
        pages, size = self.data.get("page_count"), self.data.get("source_bytes")
        return WorkCounts(
            pages=pages if isinstance(pages, int) else None,
            bytes=size if isinstance(size, int) else None,
        )


def as_result(value: AgentResult | Mapping[str, Any]) -> AgentResult:
    if isinstance(value, AgentResult):
        return value
    if isinstance(value, Mapping):
        return MappingResult(value)
    raise TypeError(f"an agent must return an AgentResult or a mapping, not {type(value).__name__}")
