"""Markdown digests of hostile documents (issue 20, item 6): whatever a document's title,
metadata or text holds, the markdown -- rendered by real CommonMark and GFM renderers
(markdown-it-py) -- has no raw HTML, no javascript: link, no image and exactly one top-level
heading; the hostile text is still there, as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.render.markdown import render_markdown
from bluelabel.render.page import Bullets, Facts, Page, Paragraph, Section, Table
from devtools.samples import SAMPLE_PARAGRAPHS, build_pdf
from tests.conftest import run_agent

HOSTILE = [
    "<script>alert('title')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![pixel](https://tracker.example/p.gif)",
    "<https://evil.example/autolink>",
    "`code` and ``more``",
    "**bold** _em_ ~~gone~~ {onclick=alert(1)}",
    "&lt;script&gt;alert(2)&lt;/script&gt;",
    "| forged | table |",
    "[ref]: javascript:alert(3)",
]
RENDERERS = {
    "commonmark": MarkdownIt("commonmark", {"html": True}),
    "gfm-like": MarkdownIt("gfm-like", {"html": True}),
}


def check(markdown: str) -> None:
    for name, renderer in RENDERERS.items():
        html = renderer.render(markdown)
        assert re.findall(r"<h1\b", html) == ["<h1"], name
        tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html))
        assert tags <= {
            "h1",
            "h2",
            "h3",
            "h4",
            "p",
            "ul",
            "ol",
            "li",
            "strong",
            "em",
            "hr",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "a",
        }, (name, tags)
        assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', html)), name
        assert not re.search(r"<(script|img|iframe|code|del|s)\b", html), name
        # no attribute but a link's target and a table column's alignment
        attributes = set(re.findall(r"<[a-z0-9]+\s+([a-z-]+)=", html))
        assert attributes <= {"href", "style"}, (name, attributes)


def test_every_block_of_a_page_escapes_what_it_is_given() -> None:
    bad = "\n".join(HOSTILE) + "\n# Forged heading\n- forged item\n> forged quote\n1. one"
    page = Page(
        title="Digest\n# Forged title\n<script>x</script>",
        subtitle=bad,
        blocks=(
            Section(
                bad,
                (
                    Paragraph(bad),
                    Paragraph(bad, muted=True),
                    Paragraph("- a list\n+ another"),
                    Paragraph("1) ordered\n2. more"),
                    Bullets((*HOSTILE, "# heading item", "- nested"), title=bad),
                    Bullets(tuple(HOSTILE), numbered=True),
                    Facts(tuple((h, h) for h in HOSTILE)),
                    Table(("a|b", "<c>"), tuple((h, h) for h in HOSTILE), caption=bad),
                ),
                level=1,  # no page may make a second top-level heading
            ),
        ),
        footer=bad,
    )
    markdown = render_markdown(page)
    check(markdown)
    assert markdown.splitlines()[0] == "# Digest \\# Forged title \\<script>x\\</script>"
    html = RENDERERS["commonmark"].render(markdown)
    assert "&lt;script&gt;alert('title')&lt;/script&gt;" in html  # shown, as text
    assert "[click](javascript:alert(1))" in html
    # the table keeps its two columns: a | in a cell is text
    assert all(row.count("<td>") == 2 for row in re.findall(r"<tr>.*?</tr>", html, re.S)[1:])


def _ingest(context: AgentContext, request: AgentInput) -> str:
    return str(run_agent("ingestion", request, context)["content_id"])


def test_a_digest_of_hostile_documents(context: AgentContext, tmp_path: Path) -> None:
    body = " ".join(SAMPLE_PARAGRAPHS[:4])
    text = body + " " + " ".join(f"{h} is what the attacker wrote here." for h in HOSTILE)
    ids = [
        _ingest(
            context,
            AgentInput(
                task_type="text",
                source="note:<script>src</script>",
                content={"text": text + "\n# Forged in the text\n<iframe src=x></iframe>\n"},
                config={"title": "Notes\n# Forged\n<script>alert(1)</script>", "tags": HOSTILE},
            ),
        )
    ]
    pdf = tmp_path / "meta.pdf"
    pdf.write_bytes(
        build_pdf(
            [body, body],
            metadata={
                "Title": "[x](javascript:alert(1))",
                "Author": "<img src=x onerror=alert(1)>",
                "Subject": "`rm -rf` **now**",
                "Creator": "\n# Forged creator",
            },
        )
    )
    ids.append(_ingest(context, AgentInput(task_type="pdf", content={"file_path": str(pdf)})))
    context.upstream = [{"content_id": i} for i in ids]
    result = run_agent("digest", AgentInput(source="test", config={"format": "markdown"}), context)
    assert result["summary_count"] == 2
    markdown = result["digest"]
    check(markdown)
    assert "javascript" in markdown and "onerror" in markdown  # kept, as text


@pytest.mark.parametrize("title", ["Weekly\n# Forged", "<script>alert(1)</script>"])
def test_the_periodic_digest_files(context: AgentContext, tmp_path: Path, title: str) -> None:
    run_agent(
        "ingestion",
        AgentInput(
            task_type="text",
            content={"text": " ".join(SAMPLE_PARAGRAPHS[:3]) + " <img src=x onerror=alert(1)>"},
            config={"title": "[x](javascript:alert(1))\n# Forged"},
        ),
        context,
    )
    outbox = tmp_path / "outbox"
    result = run_agent(
        "periodic_digest",
        AgentInput(config={"since": "1d", "outbox": str(outbox), "title": title}),
        context,
    )
    check(Path(result["paths"]["markdown"]).read_text())
