"""HTML documents (files, email bodies and attachments, web pages): bytes to text in their
charset, then the main text (:func:`~bluelabel.agents.html_text.html_to_text`).

Files and web pages are read in the sandbox's worker (:func:`extract_html_text`), never in the
task: Python's HTML parser makes objects per tag, so 48 MB of ``<p>ab `` took 1.6 GB and 48 MB
of ``x<br>`` 109 s in the task itself. An email's HTML body is read in the worker that parses
the message."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.formats.charset import decode_declared, text_codec
from bluelabel.agents.html_text import html_pieces_to_text
from bluelabel.errors import IngestError

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Characters handed to the parser at a time.
_PIECE = 1 << 20


def decode_html(data: bytes, declared: str | None = None) -> str:
    """The text of an HTML document: its byte-order mark, else the charset declared for it
    (an email part's ``charset``), else its ``<meta charset>``, else UTF-8; bytes invalid in
    that charset become U+FFFD. Undeclared text that is not UTF-8 is read as Windows-1252,
    which is what browsers assume."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    meta = _META_CHARSET.search(data[:4096])
    charset = text_codec(declared) or text_codec(meta.group(1).decode("ascii") if meta else None)
    if charset is not None:
        return data.decode(charset, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _pieces(text: str) -> Iterator[str]:
    for start in range(0, len(text), _PIECE):
        yield text[start : start + _PIECE]


def html_document_text(data: bytes, declared: str | None = None) -> tuple[str | None, str]:
    """``(title, main text)`` of an HTML document given as bytes."""
    return html_pieces_to_text(_pieces(decode_html(data, declared)))


# ------------------------------------------------------------------------------ sandboxed
@dataclass(frozen=True)
class HtmlExtraction:
    """What the worker found: the text itself went to the output file."""

    title: str | None
    chars: int  # of the text, stripped: 0 when it holds nothing readable
    length: int  # characters written
    content_id: str


def html_job(job: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """Worker side (``{"op": "html", "path", "device", "inode", "charset", "out", "kind",
    "url"}``): the main text of the HTML document at ``path`` into ``out``. ``url``: a web
    response, decoded in its declared charset and read as HTML only when ``html`` says so or
    it looks like a page (else its text is kept as it is)."""
    from bluelabel.agents.files import content_id_of_text
    from bluelabel.agents.sandbox.worker import check_identity

    check_identity(job)
    with open(job["path"], "rb") as handle:
        data = handle.read()
    title: str | None = None
    if job.get("url"):
        text = decode_declared(data, job.get("charset"))
        del data
        if job.get("html") or "<html" in text[:2048].lower():
            title, text = html_pieces_to_text(_pieces(text))
    else:
        title, text = html_document_text(data, job.get("charset"))
        del data
    with open(job["out"], "w", encoding="utf-8", errors="surrogatepass") as out:
        out.write(text)
    return {
        "title": title,
        "chars": len(text.strip()),
        "length": len(text),
        "content_id": content_id_of_text(text, job["kind"]),
    }


def extract_html_text(
    file: LocalFile,
    out: Path,
    *,
    source: str,
    kind: str,
    charset: str | None,
    memory_mb: int,
    timeout: float,
    url: bool = False,
    html: bool = True,
) -> HtmlExtraction:
    """The main text of an HTML document (or a web response: ``url``) into ``out``, read by
    a supervised worker within ``memory_mb`` and ``timeout``; a refusal names its limit.
    ``kind`` is the content type its id is made for ("html", "url")."""
    from bluelabel.agents.sandbox.supervisor import ExtractionLimits, run_job

    job = {
        "op": "html",
        "path": str(file.path),
        "device": file.device,
        "inode": file.inode,
        "charset": charset,
        "out": str(out),
        "kind": kind,
        "url": url,
        "html": html,
    }
    what = "web page" if url else "HTML document"
    reply = run_job(job, source=source, limits=ExtractionLimits(memory_mb, timeout), what=what)
    if "error" in reply:
        if reply["error"] == "corrupt":  # RecursionError in the worker
            raise IngestError(source, f"malformed HTML: {reply.get('reason')}")
        raise IngestError(source, reply.get("reason") or f"the {what} cannot be read")
    return HtmlExtraction(reply["title"], reply["chars"], reply["length"], reply["content_id"])
