"""Fuzz target: PDF ingestion (the supervisor and its worker processes) on arbitrary bytes.

Any input must be stored or refused with Bluelabel's own error (a clean line); any other
exception, or a worker left running, is a finding. Each input starts a worker process, so a
run does hundreds, not millions, of executions a minute: mutations of real PDFs built in
code find the interesting paths quickly.
``python fuzz/pdf_target.py CORPUS -max_total_time=600``
"""

from __future__ import annotations

import sys

import atheris

from fuzz._common import REPO, SCRATCH, seed_corpus

with atheris.instrument_imports():
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.errors import BluelabelError
    from bluelabel.store import KnowledgeStore

STORE = KnowledgeStore(SCRATCH / "store")
AGENT = get_agent("ingestion_agent")
PATH = SCRATCH / "fuzzed.pdf"


def test_one_input(data: bytes) -> None:
    PATH.write_bytes(data)
    context = AgentContext(store=STORE, allowed_roots=[SCRATCH])
    request = AgentInput(task_type="pdf", content={"file_path": str(PATH)})
    try:
        AGENT.run(request, context)
    except BluelabelError as exc:
        assert str(exc).startswith(str(PATH)), exc  # one line naming the file
    leftovers = list((SCRATCH / "store" / "tmp").glob(".staging-*"))
    assert not leftovers, leftovers


def seeds() -> dict[str, bytes]:
    from devtools.hostile import decompression_bomb_pdf
    from devtools.samples import build_pdf, sample_pages

    return {
        "three-pages.pdf": build_pdf(sample_pages(3), metadata={"Title": "Seed"}),
        "encrypted.pdf": build_pdf(sample_pages(1), user_password="pw", owner_password="o"),
        "image-only.pdf": build_pdf(sample_pages(1), image_only=True),
        "bomb.pdf": decompression_bomb_pdf(64 << 20),
        "truncated.pdf": build_pdf(sample_pages(2))[:900],
    }


if __name__ == "__main__":
    corpus = seed_corpus(REPO / "build" / "fuzz" / "pdf", seeds())
    atheris.Setup([*sys.argv, str(corpus)], test_one_input)
    atheris.Fuzz()
