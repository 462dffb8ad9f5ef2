"""Parsing one untrusted email message: body choice, charsets, attachments, limits, damage."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from bluelabel.agents.mail.message import MailLimits, parse_message
from bluelabel.errors import IngestError, LimitExceeded
from devtools.mail_samples import (
    HTML_BODY,
    HTML_BODY_TEXT,
    PLAIN_BODY,
    latin1_message,
    malformed_message,
    oversized_attachment_message,
    report_message,
)

LIMITS = MailLimits()


def test_headers_body_and_attachments_of_a_report() -> None:
    parsed = parse_message(report_message(7), LIMITS, source="m")
    assert parsed.subject == "Quarterly report 7"
    assert parsed.sender == "Zoë Ämmälä <zoe@example.org>"
    assert parsed.message_id == "<bluelabel-7@example.org>"
    assert parsed.date == "2025-12-01T09:07:00+00:00"
    # multipart/alternative: the plain text, as a mail client shows it; the HTML is skipped
    assert parsed.body_type == "plain"
    assert parsed.body == f"{PLAIN_BODY}\nReport number 7."
    assert [(a.part, a.filename, a.kind) for a in parsed.attachments] == [
        ("2", "report-7.pdf", "pdf"),
        ("3", "notes-7.txt", "text"),
    ]
    assert parsed.attachments[0].data is not None and parsed.attachments[0].data[:5] == b"%PDF-"
    assert parsed.problems == []


def test_html_only_body_is_reduced_to_its_main_text() -> None:
    message = EmailMessage()
    message["Subject"] = "HTML only"
    message.set_content(HTML_BODY, subtype="html")
    parsed = parse_message(bytes(message), LIMITS, source="m")
    assert parsed.body_type == "html"
    assert parsed.body == HTML_BODY_TEXT
    assert parsed.html_title == "Quarterly figures"


def test_non_utf8_charsets_in_headers_bodies_and_attachments() -> None:
    parsed = parse_message(latin1_message(), LIMITS, source="m")
    assert parsed.subject == "Привет:café déjà vu"  # encoded words in KOI8-R and Latin-1
    assert parsed.sender == "Jürgen Groß <juergen@example.org>"
    assert parsed.body == "Grüße aus Köln: 5 € für zwei Brötchen."  # ISO-8859-15
    text, html = parsed.attachments
    assert (text.filename, text.charset) == ("résumé.txt", "iso-8859-1")
    assert (html.kind, html.charset) == ("html", "windows-1252")


def test_a_part_that_cannot_be_decoded_does_not_stop_the_rest() -> None:
    parsed = parse_message(malformed_message(), LIMITS, source="m")
    assert parsed.body == "The body survives."
    broken, klingon, survivor = parsed.attachments
    assert broken.data is None and "invalid base64" in (broken.skipped or "")
    assert klingon.data is not None  # bytes are fine; its charset fails when it is read
    assert survivor.data is not None and survivor.data.startswith(b"%PDF-")
    assert parsed.problems == [f"part 2 (broken.pdf): {broken.skipped}"]


def test_unknown_transfer_encoding_is_reported() -> None:
    raw = (
        b"Subject: odd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n--B\r\nContent-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: x-rot13\r\nContent-Disposition: attachment; filename=a.pdf"
        b"\r\n\r\nabc\r\n--B--\r\n"
    )
    parsed = parse_message(raw, LIMITS, source="m")
    assert (
        parsed.attachments[0].skipped
        == "cannot be decoded: unknown Content-Transfer-Encoding 'x-rot13'"
    )


def test_attachment_size_and_count_limits() -> None:
    limits = MailLimits(max_attachment_bytes=100_000, max_attachments=1)
    parsed = parse_message(oversized_attachment_message(500_000), limits, source="m")
    huge, small = parsed.attachments
    assert huge.data is None and "[bluelabel] email_max_attachment_bytes" in (huge.skipped or "")
    assert small.data is None and "[bluelabel] email_max_attachments" in (small.skipped or "")
    assert (
        parse_message(oversized_attachment_message(500_000), MailLimits(), source="m")
        .attachments[1]
        .data
        == b"small notes\n"
    )


def test_unsupported_attachments_are_listed_not_ingested() -> None:
    message = EmailMessage()
    message["Subject"] = "Pictures"
    message.set_content("see the picture")
    message.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="a.png")
    (picture,) = parse_message(bytes(message), LIMITS, source="m").attachments
    assert (
        picture.kind is None
        and picture.skipped == "image/png is not a document type Bluelabel reads"
    )


def test_attached_message_is_an_attachment_of_kind_email() -> None:
    outer = EmailMessage()
    outer["Subject"] = "Fwd: report"
    outer.set_content("forwarding")
    outer.add_attachment(message_from_bytes(report_message(3), policy=policy.default))
    (inner,) = parse_message(bytes(outer), LIMITS, source="m").attachments
    assert inner.kind == "email" and inner.data is not None
    assert parse_message(inner.data, LIMITS, source="inner").subject == "Quarterly report 3"


def test_what_is_no_message_or_too_large() -> None:
    with pytest.raises(IngestError, match="not an email message: the content is a PDF"):
        parse_message(b"%PDF-1.7 ...", LIMITS, source="x.eml")
    with pytest.raises(IngestError, match="not an email message: it has no headers"):
        parse_message(b"\r\n\r\njust a body", LIMITS, source="x.eml")
    with pytest.raises(LimitExceeded, match=r"\[bluelabel\] email_max_message_bytes"):
        parse_message(report_message(), MailLimits(max_message_bytes=1000), source="x.eml")


def test_deep_nesting_and_many_parts_are_bounded() -> None:
    inner = b"Content-Type: text/plain\r\n\r\nleaf\r\n"
    for level in range(40):
        inner = (
            f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
            + inner
            + f"\r\n--b{level}--\r\n".encode()
        )
    parsed = parse_message(b"Subject: deep\r\nMIME-Version: 1.0\r\n" + inner, LIMITS, source="m")
    assert any("nested more than" in p for p in parsed.problems)
    parts = b"".join(
        b"--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n" for _ in range(1200)
    )
    wide = (
        b"Subject: wide\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + parts + b"--B--\r\n"
    )
    parsed = parse_message(wide, LIMITS, source="m")
    assert len(parsed.attachments) == 1000
    assert "more than 1,000 MIME parts: the rest is not read" in parsed.problems


def test_headers_nested_past_the_recursion_limit_read_as_absent() -> None:
    deep = b"(" * 3000
    raw = (
        b"From: " + deep + b"zoe@example.org\r\nMessage-ID: " + deep + b"<m@example.org>\r\n"
        b"Subject: kept\r\nContent-Transfer-Encoding: " + deep + b"7bit\r\n\r\nthe body\r\n"
    )
    parsed = parse_message(raw, LIMITS, source="m")
    assert (parsed.subject, parsed.sender, parsed.message_id) == ("kept", None, None)
    assert parsed.body == "the body"


def test_headers_the_standard_parser_fails_on_are_kept_as_text() -> None:
    """Found by fuzz/document_target.py: a group where a mailbox is expected made the
    standard library's address parser raise AttributeError out of ``message.get``."""
    raw = (
        b"From: sender10:00:00ypeet :xt/plain; charset=utf-8\r\n"
        b"To: team: ; , :x\r\nSubject: kept\r\n\r\nthe body\r\n"
    )
    parsed = parse_message(raw, LIMITS, source="m")
    assert parsed.sender == "sender10:00:00ypeet :xt/plain; charset=utf-8"
    assert (parsed.subject, parsed.body) == ("kept", "the body")


def test_a_message_too_slow_to_parse_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bluelabel.agents.mail.message.PARSE_SECONDS", 0.5)
    monkeypatch.setattr("bluelabel.agents.mail.bounds.MAX_PARSED_PARTS", 10**9)  # time, not count
    parts = b"--B\r\n\r\nx\r\n" * 200_000  # 2 MB of one-line parts: some 25 s to parse
    raw = b"Subject: wide\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + parts
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"took more than 0.5 s of CPU to read"):
        parse_message(raw, LIMITS, source="m")
    assert time.monotonic() - started < 5


def test_a_message_of_too_many_parts_is_refused_at_the_part_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bluelabel.agents.mail.bounds.MAX_PARSED_PARTS", 1_000)
    head = b"Subject: wide\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
    with pytest.raises(IngestError, match=r"^m: malformed email: more than 1,000 MIME parts"):
        parse_message(head + b"--B\r\n\r\nx\r\n" * 5_000, LIMITS, source="m")
    parsed = parse_message(head + b"--B\r\n\r\nx\r\n" * 900 + b"--B--\r\n", LIMITS, source="m")
    assert parsed.subject == "wide"  # 901 parts with the message itself: read


def test_a_date_of_an_impossible_year_is_kept_as_text() -> None:
    """Found by fuzz/document_target.py: the standard library's Date header raised
    OverflowError for a year of 40 digits, out of ``message.get``."""
    year = "2" + "9" * 40
    raw = f"Date: Mon, 01 Dec {year} 09:02:00 +0000\r\nSubject: far\r\n\r\nbody\r\n".encode()
    parsed = parse_message(raw, LIMITS, source="m")
    assert parsed.subject == "far" and parsed.date == f"Mon, 01 Dec {year} 09:02:00 +0000"


def test_an_internaldate_of_an_impossible_year_is_unknown() -> None:
    from bluelabel.agents.mail.mailbox import _internaldate

    assert _internaldate(b"01-Dec-" + b"9" * 40 + b" 10:00:00 +0000") is None
    assert _internaldate(b"01-Dec-2026 10:00:00 +0000") is not None
