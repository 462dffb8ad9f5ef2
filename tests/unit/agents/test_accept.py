"""A step that takes only some kinds (``accept``) judges a file by its content, not its name:
a .txt given as "PDF file" is refused in one line naming the file and what it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.formats.sniff import sniff_bytes
from bluelabel.errors import IngestError
from devtools.samples import build_pdf, sample_pages
from tests.conftest import run_agent, stored_files


def trigger(context: AgentContext, content: dict[str, str], **config: object) -> dict:
    """The PDF workflow's ingest step: trigger input, ``accept: [pdf]``."""
    request = AgentInput(source="trigger", content=content, config={"accept": ["pdf"], **config})
    return run_agent("ingestion_agent", request, context)


def test_a_text_file_given_as_the_pdf_is_refused_naming_it_and_what_it_is(
    context: AgentContext, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes: the glacier survey starts on Monday.\n")
    with pytest.raises(IngestError) as caught:
        trigger(context, {"file_path": str(notes)})
    assert str(caught.value) == f"{notes}: this is text, and this step takes only PDF files"
    assert caught.value.permanent
    assert stored_files(context.store) == []


def test_a_pdf_whatever_its_name_is_read_as_a_pdf(context: AgentContext, tmp_path: Path) -> None:
    disguised = tmp_path / "scan.txt"
    disguised.write_bytes(build_pdf(sample_pages(2), metadata={"Title": "Disguised"}))
    result = trigger(context, {"file_path": str(disguised)})
    assert result["content_type"] == "pdf" and result["page_count"] == 2


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("page.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", "an HTML page"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "a PNG image"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 64, "a ZIP archive"),
        ("mail.pdf", b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n", "an email message"),
        ("blob.pdf", bytes(range(256)) * 4, "binary data"),
        ("empty.pdf", b"", "an empty file"),
    ],
)
def test_what_a_refused_file_is_is_said_in_one_line(
    context: AgentContext, tmp_path: Path, name: str, data: bytes, what: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as caught:
        trigger(context, {"file_path": str(path)})
    message = str(caught.value)
    assert message == f"{path}: this is {what}, and this step takes only PDF files"
    assert "\n" not in message


def test_a_url_or_inline_text_is_refused_where_only_pdfs_are_taken(
    context: AgentContext,
) -> None:
    with pytest.raises(IngestError, match=r"this is a URL, and this step takes only PDF files"):
        trigger(context, {"url": "https://example.org/report.pdf"})
    with pytest.raises(IngestError, match=r"this is text given inline, and this step takes only"):
        run_agent(
            "ingestion_agent",
            AgentInput(content={"text": "some words"}, config={"accept": ["pdf", "html"]}),
            context,
        )


def test_without_accept_the_name_still_decides(context: AgentContext, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Plain notes about ice sheets.\n")
    request = AgentInput(source="cli", content={"file_path": str(notes)})
    assert run_agent("ingestion_agent", request, context)["content_type"] == "text"


def test_sniffing_reads_only_the_first_bytes() -> None:
    assert sniff_bytes(b"junk" * 10 + b"%PDF-1.7\n") == ("pdf", "a PDF")
    assert sniff_bytes("Grüße aus Köln\n".encode()) == ("text", "text")
    assert sniff_bytes("caf\u00e9".encode()[:-1]) == ("text", "text")  # a character cut short
    assert sniff_bytes(b"<html><head></head></html>")[0] == "html"
