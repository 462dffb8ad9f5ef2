"""Storing email messages (``.eml`` files through the ingestion agent): the body and every
supported attachment as documents linked to the message, deduplicated by content."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.inbox import Inbox
from devtools.mail_samples import PLAIN_BODY, latin1_message, malformed_message, report_message
from devtools.samples import SAMPLE_PARAGRAPHS
from tests.conftest import run_agent, stored_files


def ingest(context: AgentContext, path: Path) -> dict[str, Any]:
    return run_agent("ingestion", AgentInput(content={"file_path": str(path)}), context)


def test_eml_body_and_attachments_are_documents_linked_to_the_message(
    context: AgentContext, tmp_path: Path
) -> None:
    path = tmp_path / "report.eml"
    path.write_bytes(report_message(5))
    result = ingest(context, path)
    store = context.store
    assert result["content_type"] == "email" and result["title"] == "Quarterly report 5"
    assert store.read_text(result["content_id"]) == f"{PLAIN_BODY}\nReport number 5."
    pdf, notes = result["attachments"]
    assert len(result["content_ids"]) == 3 and result["content_ids"][0] == result["content_id"]
    pdf_record = store.get(pdf["content_id"])
    notes_record = store.get(notes["content_id"])
    assert pdf_record is not None and notes_record is not None
    assert (pdf_record.content_type, pdf_record.title) == ("pdf", "Report 5")
    assert "Report 5. Page 1." in store.read_text(pdf["content_id"])
    assert notes_record.title == "notes-5"
    expected_notes = f"Notes for report 5.\n{SAMPLE_PARAGRAPHS[5 % len(SAMPLE_PARAGRAPHS)]}\n"
    assert store.read_text(notes["content_id"]) == expected_notes
    for record in (pdf_record, notes_record):
        assert record.metadata["message_id"] == "<bluelabel-5@example.org>"
        assert record.metadata["subject"] == "Quarterly report 5"
        assert record.metadata["from"] == "Zoë Ämmälä <zoe@example.org>"
        assert record.metadata["date"] == "2025-12-01T09:05:00+00:00"
    body = store.get(result["content_id"])
    assert body is not None
    assert [a["content_id"] for a in body.metadata["attachments"]] == [
        pdf["content_id"],
        notes["content_id"],
    ]
    files = stored_files(store)
    again = ingest(context, path)
    assert again["deduplicated"] is True
    assert set(again["deduplicated_ids"]) == set(result["content_ids"])
    assert stored_files(store) == [
        f for f in stored_files(store) if f in files or "provenance" in f
    ]


def test_same_attachment_in_two_messages_is_stored_once(
    context: AgentContext, tmp_path: Path
) -> None:
    first = message_from_bytes(report_message(1), policy=policy.default)
    second = EmailMessage()
    second["Subject"] = "Resent"
    second["Message-ID"] = "<resent@example.org>"
    second.set_content("The same report again.")
    pdf = next(first.iter_attachments())
    second.add_attachment(
        pdf.get_content(), maintype="application", subtype="pdf", filename="again.pdf"
    )
    (tmp_path / "one.eml").write_bytes(bytes(first))
    (tmp_path / "two.eml").write_bytes(bytes(second))
    one = ingest(context, tmp_path / "one.eml")
    two = ingest(context, tmp_path / "two.eml")
    assert two["attachments"][0]["content_id"] == one["attachments"][0]["content_id"]
    assert two["attachments"][0]["deduplicated"] is True
    assert two["deduplicated"] is False  # a different message


def test_charsets_survive_into_the_store(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "latin1.eml"
    path.write_bytes(latin1_message())
    result = ingest(context, path)
    text, html = result["attachments"]
    store = context.store
    assert store.read_text(text["content_id"]) == "Résumé: naïve façade, coöperate.\n"
    assert store.read_text(html["content_id"]) == "Smart \u201cquotes\u201d \u2013 dash"


def test_undecodable_parts_are_reported_and_the_rest_is_stored(
    context: AgentContext, tmp_path: Path
) -> None:
    path = tmp_path / "broken.eml"
    path.write_bytes(malformed_message())
    result = ingest(context, path)
    broken, klingon, survivor = result["attachments"]
    assert broken["content_id"] is None and "invalid base64" in broken["skipped"]
    assert klingon["skipped"] == "cannot be ingested: unknown charset 'x-klingon'"
    assert survivor["content_id"] is not None
    assert len(result["problems"]) == 2
    assert context.store.read_text(result["content_id"]) == "The body survives."
    body = context.store.get(result["content_id"])
    assert body is not None and body.metadata["problems"] == result["problems"]


def test_inbox_takes_html_docx_and_eml(context: AgentContext, tmp_path: Path) -> None:
    from devtools.samples import docx_bytes
    from tests.conftest import HTML_PAGE

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "page.htm").write_bytes(HTML_PAGE)
    (folder / "memo.docx").write_bytes(docx_bytes(["Memo", "Text of the memo."]))
    (folder / "mail.eml").write_bytes(report_message(9))
    listing = run_agent("inbox", AgentInput(config={"inbox": str(folder)}), context)
    kinds = {i["context"]["inbox_file"]: i["task_type"] for i in listing["items"]}
    assert kinds == {"page.htm": "html", "memo.docx": "docx", "mail.eml": "email"}
    for item in listing["items"]:
        result = run_agent("ingestion", AgentInput.from_dict(item), context)
        assert result["moved_to"].startswith(str(folder / "processed"))
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "mail.eml",
        "memo.docx",
        "page.htm",
    ]
    (folder / "memo2.docx").write_bytes((folder / "processed" / "memo.docx").read_bytes())
    again = run_agent("inbox", AgentInput(config={"inbox": str(folder)}), context)
    assert again["duplicates"][0]["file"] == "memo2.docx"  # known by its bytes, not re-read
    assert Inbox(folder).entries() == []
