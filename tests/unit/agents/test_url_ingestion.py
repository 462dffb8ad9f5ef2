"""URL ingestion against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.errors import IngestError
from bluelabel.store import KnowledgeStore
from tests.conftest import run_agent, stored_files


def ingest(context: AgentContext, url: str, **config: object) -> dict:
    request = AgentInput(task_type="url", source="test", content={"url": url}, config=config)
    return run_agent("ingestion_agent", request, context)


def test_html_becomes_readable_main_text(context: AgentContext, http_server: str) -> None:
    result = ingest(context, f"{http_server}/page.html")
    text = context.store.read_text(result["content_id"])
    assert result["content_type"] == "url"
    assert result["title"] == "Airflow & Bluelabel notes"
    assert "directed acyclic graphs" in text and "never the whole text" in text
    for unwanted in (
        "SCRIPT_TEXT_MUST_NOT_APPEAR",
        "INLINE_SCRIPT",
        "color: red",
        "NAV_TEXT",
        "FOOTER_TEXT",
        "<p>",
    ):
        assert unwanted not in text
    assert result["metadata"]["http_status"] == 200


def test_pdf_response_goes_down_the_pdf_path(context: AgentContext, http_server: str) -> None:
    result = ingest(context, f"{http_server}/doc.pdf")
    assert result["content_type"] == "pdf"
    assert result["page_count"] == 4
    assert result["title"] == "Served PDF"
    assert result["source"] == f"{http_server}/doc.pdf"
    assert "Page 4." in context.store.read_text(result["content_id"])


def test_plain_text_response(context: AgentContext, http_server: str) -> None:
    result = ingest(context, f"{http_server}/notes.txt")
    assert "Plain notes about Airflow" in context.store.read_text(result["content_id"])


def test_redirects_are_followed_and_recorded(context: AgentContext, http_server: str) -> None:
    result = ingest(context, f"{http_server}/redirect")
    assert result["metadata"]["url"] == f"{http_server}/page.html"
    assert result["metadata"]["redirects"] == [f"{http_server}/hop", f"{http_server}/page.html"]


def test_redirect_loop(context: AgentContext, http_server: str) -> None:
    with pytest.raises(IngestError, match="redirect loop"):
        ingest(context, f"{http_server}/loop-a")


def test_too_many_redirects(context: AgentContext, http_server: str) -> None:
    with pytest.raises(IngestError, match="too many redirects"):
        ingest(context, f"{http_server}/redirect", max_redirects=1)


def test_oversized_body_is_refused_and_nothing_stored(
    context: AgentContext, http_server: str
) -> None:
    with pytest.raises(IngestError, match="byte limit"):
        ingest(context, f"{http_server}/big", max_bytes=1_000_000)
    assert stored_files(context.store) == []


def test_slow_server_times_out(context: AgentContext, http_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(IngestError, match="timed out"):
        ingest(context, f"{http_server}/slow", timeout=5, total_timeout=1)
    assert time.monotonic() - started < 4


def test_not_found(context: AgentContext, http_server: str) -> None:
    with pytest.raises(IngestError, match="HTTP 404") as info:
        ingest(context, f"{http_server}/missing")
    assert f"{http_server}/missing" in str(info.value)


def test_page_without_text(context: AgentContext, http_server: str) -> None:
    with pytest.raises(IngestError, match="no readable text"):
        ingest(context, f"{http_server}/empty.html")


def test_loopback_refused_unless_allowed(store: KnowledgeStore, http_server: str) -> None:
    strict = AgentContext(store=store)  # the default: private addresses refused
    with pytest.raises(IngestError, match=r"non-public address 127\.0\.0\.1"):
        ingest(strict, f"{http_server}/page.html")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://0.0.0.0/",
    ],
)
def test_private_and_link_local_addresses_refused(store: KnowledgeStore, url: str) -> None:
    with pytest.raises(IngestError, match="non-public address"):
        ingest(AgentContext(store=store), url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_other_schemes_are_locations_under_the_roots(
    store: KnowledgeStore, tmp_path: Path, url: str
) -> None:
    """Only http(s) is fetched as a web page; any other scheme names a location, refused
    outside the allowed roots (tests/hostile/test_locations.py has the rest)."""
    with pytest.raises(IngestError, match="refused"):
        ingest(AgentContext(store=store, allowed_roots=[tmp_path]), url)


def test_unresolvable_host(store: KnowledgeStore) -> None:
    with pytest.raises(IngestError, match="cannot resolve host"):
        ingest(AgentContext(store=store), "http://no-such-host.invalid/")


def test_a_malformed_declaration_does_not_stop_the_html_reader() -> None:
    from bluelabel.agents.html_text import html_to_text

    # Found by fuzzing: html.parser asserts on this marked section.
    title, text = html_to_text("\n0<\r\xff<![<<\xbb\x00i\n0\x82\xe5 <p>The text after it.</p>")
    assert title is None and "The text after it." in text
