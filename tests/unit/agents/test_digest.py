"""The digest agent over a real store: selection, formats, escaping, summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.errors import AgentInputError, EveryInputFailed
from devtools.samples import SAMPLE_PARAGRAPHS
from tests.conftest import run_agent


def ingest_text(
    context: AgentContext, text: str, title: str, tags: list[str] | None = None
) -> dict:
    request = AgentInput(
        task_type="text",
        source=f"note:{title}",
        content={"text": text},
        config={"title": title, "tags": tags or []},
    )
    return run_agent("ingestion", request, context)


def digest(context: AgentContext, **config: object) -> dict:
    return run_agent("digest", AgentInput(source="test", config=config), context)


LONG_TEXT = " ".join(SAMPLE_PARAGRAPHS * 3)


def test_markdown_digest_of_upstream_documents(context: AgentContext) -> None:
    first = ingest_text(context, LONG_TEXT, "Airflow notes")
    ingest_text(context, "Unrelated document that must not be digested. " * 3, "Other")
    context.upstream = [first]
    result = digest(context, format="markdown")
    assert result["format"] == "markdown" and result["summary_count"] == 1
    assert result["content_ids"] == [first["content_id"]]
    text = result["digest"]
    assert "## 1. Airflow notes" in text and "Other" not in text
    assert "**Key points**" in text
    summary = text.split("characters", 1)[1].split("**Key points**")[0].strip()
    assert 0 < len(summary) < len(LONG_TEXT) / 2  # a summary, not the full text
    assert Path(result["digest_path"]).read_text() == text


def test_limit_and_newest_first(context: AgentContext) -> None:
    for n in range(5):
        ingest_text(
            context, f"Document number {n} talks about scheduling tasks in Airflow.", f"Doc {n}"
        )
    result = digest(context, limit=2, format="json")
    data = json.loads(result["digest"])
    assert [i["title"] for i in data["items"]] == ["Doc 4", "Doc 3"]
    assert data["count"] == 2 == result["summary_count"]


def test_query_by_tag(context: AgentContext) -> None:
    ingest_text(
        context, "Finance document about quarterly budgets and costs.", "Budget", ["finance"]
    )
    ingest_text(
        context, "Engineering document about the scheduler internals.", "Scheduler", ["eng"]
    )
    result = digest(context, tags=["finance"])
    assert result["titles"] == ["Budget"]


def test_html_escapes_every_value(context: AgentContext) -> None:
    hostile = '<script>alert("x")</script> & friends'
    ingest_text(
        context, f"{hostile}. This sentence has enough words to be summarised here.", hostile
    )
    html = digest(context, format="html")["digest"]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp; friends" in html


def test_sections_from_the_original_format(context: AgentContext) -> None:
    ingest_text(context, LONG_TEXT, "Notes")
    result = digest(context, sections=["executive_summary", "recommendations"])
    assert "**Key points**" not in result["digest"]
    assert any("recommendations" in w for w in result["warnings"])


def test_inline_text_like_the_original_digest_input(context: AgentContext) -> None:
    request = AgentInput.from_dict(
        {
            "task_id": "t",
            "source": "cli",
            "content": {
                "content_id": "digest_abc123",
                "text": LONG_TEXT,
                "metadata": {"title": "Sample Article", "author": "Test Author"},
            },
        }
    )
    result = run_agent("digest_agent", request, context)
    assert result["summary_count"] == 1 and "Sample Article" in result["digest"]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"format": "pdf"}, "format must be one of"),
        ({"limit": 0}, "limit must be >= 1"),
        ({"limit": "ten"}, "limit must be a whole number"),
        ({"content_ids": ["nope"]}, "not in store"),
        ({"since": "yesterday-ish"}, "since='yesterday-ish' is not an ISO"),
    ],
)
def test_bad_digest_options(context: AgentContext, config: dict, message: str) -> None:
    with pytest.raises(AgentInputError, match=message):
        digest(context, **config)


def test_summaries_are_cached(context: AgentContext) -> None:
    doc = ingest_text(context, LONG_TEXT, "Cached")
    digest(context)
    cached = list(Path(context.store.location, "summaries").rglob("*.json"))
    assert len(cached) == 1 and doc["content_id"] in cached[0].name


def test_messages_that_could_not_be_read_are_listed(context: AgentContext) -> None:
    """A mailbox run's poison messages (its ``failed``) are listed in the digest, escaped
    like everything else; a run that read nothing but a poison message still digests it."""
    good = ingest_text(context, LONG_TEXT, "Good mail")
    reason = "imap://imap_default/INBOX;UID=2: malformed email: <b>nest</b> [x](javascript:y)"
    mailbox = {"content_ids": [good["content_id"]], "failed": [{"uid": "2", "reason": reason}]}
    context.upstream = [mailbox]
    markdown = digest(context, format="markdown", skip_if_empty=True)["digest"]
    assert "1 document, 1 could not be read" in markdown
    section = markdown.split("## Could not be read", 1)[1]
    assert "UID=2: malformed email" in section
    assert "\\<b>nest\\</b> \\[x\\](javascript:y)" in section  # escaped: no markup
    html = digest(context, format="html")["digest"]
    assert "Could not be read" in html and "&lt;b&gt;nest&lt;/b&gt;" in html
    data = json.loads(digest(context, format="json")["digest"])
    assert data["failed"] == [{"uid": "2", "reason": reason}]

    context.upstream = [{"content_ids": [], "failed": [{"uid": "3", "reason": reason}]}]
    only = digest(context, format="markdown", skip_if_empty=True)
    assert only["summary_count"] == 0 and "## Could not be read" in only["digest"]


def test_files_that_failed_upstream_are_listed_with_their_reason(context: AgentContext) -> None:
    """Failed tries of the steps before the digest (``upstream_failed``: a failed mapped ingest,
    a file quarantined at listing) are listed by source and reason, also when nothing else
    was read, and carried in the result."""
    good = ingest_text(context, LONG_TEXT, "Good file")
    failures = [
        {"source": "/in/broken.pdf", "reason": "not a PDF (it starts with 'hello')"},
        {
            "source": "/in/slides.pptx",
            "reason": "unsupported file type '.pptx'",
            "stage": "listing",
        },
    ]
    context.upstream = [good]
    context.upstream_failed = failures
    result = digest(context, format="markdown", skip_if_empty=True)
    markdown = result["digest"]
    assert "1 document, 2 could not be read" in markdown
    section = markdown.split("## Could not be read", 1)[1]
    assert "/in/broken.pdf: not a PDF" in section and "/in/slides.pptx: unsupported" in section
    assert result["failed"] == failures
    html = digest(context, format="html")["digest"]
    assert "/in/broken.pdf: not a PDF" in html
    assert json.loads(digest(context, format="json")["digest"])["failed"] == failures

    context.upstream, context.from_upstream = [], True  # every file failed
    with pytest.raises(EveryInputFailed) as caught:  # not skipped: 2 to report, then failed
        digest(context, format="markdown", skip_if_empty=True)
    only = caught.value.result.to_xcom()
    assert only["summary_count"] == 0 and "2 could not be read" in only["digest"]
    assert str(caught.value).startswith("every input failed (2); the digest (")
    assert Path(only["digest_path"]).read_text(encoding="utf-8") == only["digest"]
