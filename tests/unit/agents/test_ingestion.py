"""The ingestion agent on PDFs generated in code: the good cases and every failure class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.errors import IngestError
from devtools.samples import build_pdf, sample_pages
from tests.conftest import run_agent, stored_files


def ingest(context: AgentContext, path: Path | str, **config: object) -> dict[str, Any]:
    request = AgentInput(
        task_type="pdf", source="test", content={"file_path": str(path)}, config=config
    )
    return run_agent("ingestion_agent", request, context)


def test_multi_page_pdf_with_metadata(context: AgentContext, make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(
        "notes.pdf",
        pages=5,
        metadata={"Title": "Airflow notes", "Author": "Ada", "Subject": "Scheduling"},
    )
    result = ingest(context, path)
    assert result["content_type"] == "pdf"
    assert result["page_count"] == 5
    assert result["text_layer"] is True
    assert result["title"] == "Airflow notes"
    assert result["metadata"]["author"] == "Ada"
    assert result["metadata"]["subject"] == "Scheduling"
    assert result["metadata"]["page_count"] == 5
    assert result["warnings"] == []
    text = context.store.read_text(result["content_id"])
    assert "Page 1." in text and "Page 5." in text
    assert text.count("\f") == 4  # pages separated by form feeds
    assert result["content_length"] == len(text)
    assert "text" not in result  # the result stays small


def test_same_pdf_twice_is_stored_once(
    context: AgentContext, make_pdf: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_pdf(pages=2)
    first = ingest(context, path)
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(path.read_bytes())
    second = ingest(context, copy)
    assert second["content_id"] == first["content_id"]
    assert second["deduplicated"] is True and first["deduplicated"] is False
    assert len(context.store.query(limit=None)) == 1


def test_title_falls_back_to_file_name_for_placeholder_titles(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf("quarterly-report.pdf", metadata={"Title": "(anonymous)"})
    assert ingest(context, path)["title"] == "quarterly-report"


def test_encrypted_pdf_needs_password(context: AgentContext, make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(
        "locked.pdf",
        pages=["Confidential roadmap for the scheduler."],
        user_password="s3cret",
        owner_password="owner",
    )
    with pytest.raises(IngestError, match="password is needed") as info:
        ingest(context, path)
    assert str(path) in str(info.value)
    with pytest.raises(IngestError, match="password is wrong"):
        ingest(context, path, password="nope")
    result = ingest(context, path, password="s3cret")
    assert "Confidential roadmap" in context.store.read_text(result["content_id"])
    assert result["metadata"]["encrypted"] is True


def test_owner_password_only_pdf_ingests_normally(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf(
        "owner.pdf",
        pages=["Readable by anyone, printable by the owner."],
        owner_password="owner-only",
    )
    result = ingest(context, path)
    assert "Readable by anyone" in context.store.read_text(result["content_id"])


@pytest.mark.parametrize("backend", ["pdfium", "pypdf"])
def test_truncated_pdf_is_reported_as_corrupt(
    context: AgentContext, tmp_path: Path, backend: str
) -> None:
    data = build_pdf(sample_pages(3))
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError, match="corrupt or truncated") as info:
        ingest(context, path, pdf_backend=backend)
    assert str(path) in str(info.value)
    assert stored_files(context.store) == []


def test_zero_length_file(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match=r"empty \(0 bytes\)"):
        ingest(context, path)


def test_not_a_pdf(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "page.pdf"
    path.write_text("<html>not a pdf</html>")
    with pytest.raises(IngestError, match="not a PDF"):
        ingest(context, path)
    assert stored_files(context.store) == []


def test_missing_file(context: AgentContext, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="file not found"):
        ingest(context, tmp_path / "nope.pdf")


def test_image_only_pdf_succeeds_without_text_layer(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    result = ingest(context, make_pdf("scan.pdf", pages=2, image_only=True))
    assert result["text_layer"] is False
    assert any("no text layer" in w for w in result["warnings"])


def test_partly_damaged_pdf_keeps_readable_pages_and_lists_the_rest(
    context: AgentContext, tmp_path: Path
) -> None:
    data = build_pdf(sample_pages(3))
    # Point page 2 of the page tree at a non-page object (same length: offsets stay valid).
    damaged = data.replace(b"/Kids [ 5 0 R 7 0 R 9 0 R ]", b"/Kids [ 5 0 R 1 0 R 9 0 R ]")
    assert damaged != data
    path = tmp_path / "damaged.pdf"
    path.write_bytes(damaged)
    result = ingest(context, path)
    text = context.store.read_text(result["content_id"])
    assert "Page 1." in text and "Page 3." in text
    assert any("pages have no text" in w and w.endswith(": 2") for w in result["warnings"])


def test_page_and_size_limits(context: AgentContext, make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(pages=5)
    with pytest.raises(IngestError, match="5 pages, over the 4-page limit"):
        ingest(context, path, max_pages=4)
    with pytest.raises(IngestError, match="over the 100-byte limit"):
        ingest(context, path, max_bytes=100)
    assert stored_files(context.store) == []


def test_path_outside_allowed_roots_is_refused(store, make_pdf, tmp_path: Path) -> None:
    path = make_pdf()
    allowed = tmp_path / "inbox"
    allowed.mkdir()
    context = AgentContext(store=store, allowed_roots=[allowed])
    with pytest.raises(IngestError, match="outside the allowed roots"):
        ingest(context, path)
