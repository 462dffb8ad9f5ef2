"""Fuzz target: Word documents, email files and HTML files ingested from arbitrary bytes.

The first byte picks the kind (DOCX, EML, HTML), the rest is the file. Any input must be stored
or refused with Bluelabel's own error, one line naming the file; any other exception, or a
staging file left in the store, is a finding. DOCX is parsed in the supervised worker, so
those inputs run at hundreds a minute; the seeds are real documents built in code.
``python fuzz/document_target.py CORPUS -max_total_time=600``
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
KINDS = [("docx", ".docx"), ("email", ".eml"), ("html", ".html")]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    task_type, suffix = KINDS[data[0] % len(KINDS)]
    path = SCRATCH / f"fuzzed{suffix}"
    path.write_bytes(data[1:])
    context = AgentContext(store=STORE, allowed_roots=[SCRATCH])
    request = AgentInput(task_type=task_type, content={"file_path": str(path)})  # type: ignore[arg-type]
    try:
        AGENT.run(request, context)
    except BluelabelError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message, message
    leftovers = list((SCRATCH / "store" / "tmp").glob(".staging-*"))
    assert not leftovers, leftovers


def seeds() -> dict[str, bytes]:
    from devtools.hostile import docx_with_document
    from devtools.mail_samples import latin1_message, malformed_message, report_message
    from devtools.samples import docx_bytes

    docx, email, html = (bytes([n]) for n in range(3))
    return {
        "report.docx": docx + docx_bytes(["A first paragraph.", "A second one."], title="Seed"),
        "entities.docx": docx
        + docx_with_document(
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><w:document xmlns:w='
            b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
            b"<w:r><w:t>&e;</w:t></w:r></w:p></w:body></w:document>"
        ),
        "report.eml": email + report_message(),
        "latin1.eml": email + latin1_message(),
        "malformed.eml": email + malformed_message(),
        "page.html": html
        + b"<html><head><meta charset='windows-1252'><title>Seed</title></head><body>"
        + b"<p>Caf\xe9 menu</p><script>x()</script><table><tr><td>a</td></tr></table></body>",
    }


if __name__ == "__main__":
    corpus = seed_corpus(REPO / "build" / "fuzz" / "document", seeds())
    atheris.Setup([*sys.argv, str(corpus)], test_one_input)
    atheris.Fuzz()
