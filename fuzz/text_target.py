"""Fuzz target: text ingestion (files streamed under their limit, inline text) and the HTML
reader that URL responses go through, on arbitrary bytes.

Any input must be stored or refused with Bluelabel's own error; any other exception is a
finding. ``python fuzz/text_target.py CORPUS -max_total_time=600``
"""

from __future__ import annotations

import sys

import atheris

from fuzz._common import REPO, SCRATCH, seed_corpus

with atheris.instrument_imports():
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.agents.html_text import html_to_text
    from bluelabel.errors import BluelabelError
    from bluelabel.store import KnowledgeStore

STORE = KnowledgeStore(SCRATCH / "store")
AGENT = get_agent("ingestion_agent")
PATH = SCRATCH / "fuzzed.txt"


def test_one_input(data: bytes) -> None:
    PATH.write_bytes(data)
    context = AgentContext(store=STORE, allowed_roots=[SCRATCH])
    try:
        AGENT.run(AgentInput(task_type="text", content={"file_path": str(PATH)}), context)
    except BluelabelError as exc:
        assert str(exc).startswith(str(PATH)), exc
    text = data.decode("utf-8", errors="replace")
    try:
        AGENT.run(AgentInput(task_type="text", source="fuzz", content={"text": text}), context)
    except BluelabelError as exc:
        assert str(exc).startswith("fuzz: "), exc
    title, body = html_to_text(text)
    assert isinstance(body, str) and (title is None or isinstance(title, str))


def seeds() -> dict[str, bytes]:
    from devtools.samples import SAMPLE_PARAGRAPHS

    page = (REPO / "tests" / "conftest.py").read_text()
    html = page[page.index('HTML_PAGE = b"""') + 16 : page.index('"""', page.index("HTML_PAGE"))]
    return {
        "notes.txt": "\n\n".join(SAMPLE_PARAGRAPHS).encode(),
        "page.html": html.encode(),
        "bom-crlf.txt": b"\xef\xbb\xbfline one\r\nline two\r\n",
        "cjk.txt": "東京は日本の首都です。人口が多い。".encode(),
    }


if __name__ == "__main__":
    corpus = seed_corpus(REPO / "build" / "fuzz" / "text", seeds())
    atheris.Setup([*sys.argv, str(corpus)], test_one_input)
    atheris.Fuzz()
