"""HTML files: decoded in their charset, reduced to their main text as web pages are."""

from __future__ import annotations

import codecs
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluelabel.agents import AgentContext, AgentInput, html_text
from bluelabel.agents.formats.html import decode_html, html_document_text
from bluelabel.agents.html_text import html_to_text
from bluelabel.errors import IngestError
from tests.conftest import HTML_PAGE, run_agent

#: The page's main text, block by block (the script inside <main> is not text).
PAGE_TEXT = "\n\n".join(
    [
        "Scheduling documents",
        "Apache Airflow runs workflows as directed acyclic graphs of tasks.",
        "Bluelabel stores each document once, keyed by its content, and builds digests.",
        "The extractive summariser is deterministic and needs no network access at all.",
        "Tasks pass small JSON results between each other through XCom, never the whole text.",
    ]
)


def ingest(context: AgentContext, path: Path) -> dict[str, object]:
    request = AgentInput(source="test", content={"file_path": str(path)})
    return run_agent("ingestion_agent", request, context)


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_file_is_its_main_text_and_title(
    context: AgentContext, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"notes{suffix}"
    path.write_bytes(HTML_PAGE)
    result = ingest(context, path)
    assert result["content_type"] == "html"
    assert result["title"] == "Airflow & Bluelabel notes"
    assert context.store.read_text(str(result["content_id"])) == PAGE_TEXT
    again = ingest(context, path)
    assert again["deduplicated"] is True and again["content_id"] == result["content_id"]


def test_charsets() -> None:
    text = "<p>Grüße, naïve café \u2013 \u201cquoted\u201d</p>"
    assert decode_html(text.encode("cp1252")) == text  # undeclared, not UTF-8: Windows-1252
    assert decode_html(text.encode("utf-8")) == text
    assert decode_html(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == text
    meta = '<meta charset="iso-8859-1"><p>café</p>'
    assert decode_html(meta.encode("latin-1")) == meta
    declared = "<p>Привет</p>"
    assert decode_html(declared.encode("koi8-r"), "koi8-r") == declared
    assert decode_html(b"<p>x</p>", "no-such-charset") == "<p>x</p>"


def test_html_without_text_and_binary_named_html(context: AgentContext, tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><script>var x = 1;</script></html>")
    with pytest.raises(IngestError, match="no readable text in the HTML"):
        ingest(context, empty)
    png = tmp_path / "image.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(IngestError, match="not HTML: the content is a PNG image"):
        ingest(context, png)


def test_html_file_over_the_document_limit(tmp_path: Path, store: object) -> None:
    from bluelabel.config import parse_settings
    from bluelabel.errors import LimitExceeded

    settings = parse_settings({"max_document_bytes": "1000"}, tmp_path)
    context = AgentContext(store=store, settings=settings)  # type: ignore[arg-type]
    path = tmp_path / "big.html"
    path.write_bytes(b"<p>" + b"x" * 2000 + b"</p>")
    with pytest.raises(LimitExceeded, match=r"max_document_bytes") as caught:
        ingest(context, path)
    assert caught.value.setting == "max_document_bytes"


def test_end_tags_that_close_nothing_cost_no_scan_of_the_open_ones() -> None:
    # 80,000 unclosed tags, then 80,000 end tags of another name: each end tag used to look
    # through every open tag (two minutes for these 560 KB).
    data = b"<p>kept text</p>" + b"<a>" * 80_000 + b"</b>" * 80_000 + b"<p>and after</p>"
    started = time.monotonic()
    title, text = html_document_text(data)
    assert time.monotonic() - started < 10
    assert (title, text) == (None, "kept text\n\nand after")


def test_a_tag_left_open_at_the_end_is_dropped_without_a_rescan_per_character() -> None:
    # html.parser's close() rescanned the rest of the input for each '<' of an unclosed tail:
    # 40,000 "<a " (120 KB) took four minutes. HTML drops a tag open at the end of the file.
    data = b"<p>kept text</p>" + b"<a " * 40_000
    started = time.monotonic()
    assert html_document_text(data) == (None, "kept text")
    assert time.monotonic() - started < 10
    assert html_document_text(b"<p>fish &amp; chips &copy") == (None, "fish & chips \u00a9")


def test_a_tag_longer_than_the_wait_is_skipped_to_its_end() -> None:
    # Fed piece by piece, an open tag was rescanned whole on every piece (16 MB: 32 s).
    data = b"<p>before</p>" + b"<a " * 6_000_000 + b"><p>after</p>"
    started = time.monotonic()
    assert html_document_text(data) == (None, "before\n\nafter")
    assert time.monotonic() - started < 20
    image = b'<p>before</p><img src="data:image/png;base64,' + b"A" * 1_500_000 + b'"><p>after</p>'
    assert html_document_text(image) == (None, "before\n\nafter")  # a long tag still read


def _tidy_whole(text: str) -> str:
    """What html_text's tidying did before it worked a batch of lines at a time."""
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "\t", "\u00a0", "\u2003"])),
        max_size=40,
    )
)
def test_tidying_in_batches_is_tidying_the_whole(pieces: list[str]) -> None:
    """The text is tidied a batch of lines at a time (so millions of short lines never exist
    at once); it must be exactly what tidying all of it did, or ids of stored pages change."""
    gathered = html_text._Pieces()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(html_text, "_JOIN_EVERY", 3)  # many joins, lines across them
        for piece in pieces:
            gathered.append(piece)
        assert html_text._tidy(gathered) == _tidy_whole("".join(pieces))


@pytest.mark.slow  # over 10 s: make test only
def test_millions_of_short_paragraphs_stay_small() -> None:
    """48 MB of ``<p>ab `` took 1.6 GB: one object per piece of text. Here 1.2 MB of them
    (200,000 paragraphs) may take a few times the text, not forty."""
    import tracemalloc

    page = "<p>ab " * 200_000
    tracemalloc.start()
    try:
        title, text = html_to_text(page)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert title is None and text.startswith("ab\nab\n") and text.count("ab") == 200_000
    assert peak < 20 * len(page), peak  # 42 times before
