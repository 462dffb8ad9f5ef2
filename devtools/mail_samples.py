"""Email messages built in code, for the tests and the benchmarks (no binary fixtures).

Each builder returns the message's bytes as a mail client would send them; the expected text
of each part is what the tests compare the stored documents with.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime

from devtools.samples import SAMPLE_PARAGRAPHS, build_pdf, sample_pages

PLAIN_BODY = "Hello team,\n\nthe quarterly figures are attached.\nRegards, Zoë"
HTML_BODY = (
    "<html><head><title>Quarterly figures</title><style>p {color: red}</style></head>"
    "<body><p>Hello team,</p><p>the quarterly figures are <b>attached</b>.</p>"
    "<script>var x = 'SCRIPT';</script></body></html>"
)
HTML_BODY_TEXT = "Hello team,\n\nthe quarterly figures are attached."


def _headers(
    message: EmailMessage, subject: str, number: int, sender: str, batch: str = ""
) -> None:
    message["From"] = sender
    message["To"] = "archive@example.org"
    message["Subject"] = subject
    message["Message-ID"] = f"<bluelabel-{batch}{number}@example.org>"
    message["Date"] = format_datetime(datetime(2025, 12, 1, 9, number % 60, tzinfo=timezone.utc))


def report_message(
    number: int = 1, *, pdf_pages: int = 2, alternative: bool = True, batch: str = ""
) -> bytes:
    """A report: plain + HTML alternatives, a PDF and a text attachment (distinct per number
    and ``batch``)."""
    message = EmailMessage()
    subject = f"Quarterly report {batch}{number}"
    _headers(message, subject, number, "Zoë Ämmälä <zoe@example.org>", batch)
    message.set_content(f"{PLAIN_BODY}\nReport number {number}.\n")
    if alternative:
        message.add_alternative(
            HTML_BODY.replace("attached", f"attached ({number})"), subtype="html"
        )
    pages = sample_pages(pdf_pages)
    pages[0] = f"Report {batch}{number}. {pages[0]}"
    pdf = build_pdf(pages, metadata={"Title": f"Report {batch}{number}"})
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"report-{number}.pdf"
    )
    paragraph = SAMPLE_PARAGRAPHS[number % len(SAMPLE_PARAGRAPHS)]
    notes = f"Notes for report {batch}{number}.\n{paragraph}\n"
    message.add_attachment(
        notes.encode(), maintype="text", subtype="plain", filename=f"notes-{number}.txt"
    )
    return bytes(message)


def latin1_message() -> bytes:
    """A body and a text attachment in ISO-8859-1, a KOI8-R subject, a Windows-1252 HTML part."""
    message = EmailMessage()
    _headers(message, "Привет: café déjà vu", 2, "Jürgen Groß <juergen@example.org>")
    del message["Subject"]
    koi8 = base64.b64encode("Привет:".encode("koi8-r")).decode()
    message["Subject"] = f"=?koi8-r?b?{koi8}?= =?iso-8859-1?q?caf=E9_d=E9j=E0_vu?="
    message.set_content("Grüße aus Köln: 5 € für zwei Brötchen.\n", charset="iso-8859-15")
    message.add_attachment(
        "Résumé: naïve façade, coöperate.\n".encode("latin-1"),
        maintype="text",
        subtype="plain",
        filename="résumé.txt",
        params={"charset": "iso-8859-1"},
    )
    message.add_attachment(
        "<html><body><p>Smart \u201cquotes\u201d \u2013 dash</p></body></html>".encode("cp1252"),
        maintype="text",
        subtype="html",
        filename="page.html",
        params={"charset": "windows-1252"},
    )
    return bytes(message)


def malformed_message() -> bytes:
    """A good body, a PDF, and two parts that cannot be decoded (broken base64, unknown charset)."""
    pdf = build_pdf(sample_pages(1), metadata={"Title": "Survivor"})
    encoded = base64.encodebytes(pdf).decode()
    return (
        "From: sender@example.org\r\nTo: archive@example.org\r\nSubject: Partly broken\r\n"
        "Message-ID: <broken-1@example.org>\r\nDate: Mon, 01 Dec 2025 10:00:00 +0000\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe body survives.\r\n"
        "--XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="broken.pdf"\r\n\r\n'
        "!!!! this is not base64 at all !!!!\r\n"
        "--XX\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        'Content-Disposition: attachment; filename="klingon.txt"\r\n\r\n'
        "\xff\xfe\xfd\r\n"
        "--XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="survivor.pdf"\r\n\r\n'
        f"{encoded}\r\n--XX--\r\n"
    ).encode("latin-1")


def oversized_attachment_message(size: int) -> bytes:
    """A message with a ``size``-byte text attachment and a small one."""
    message = EmailMessage()
    _headers(message, "Big attachment", 3, "big@example.org")
    message.set_content("One attachment is too large.\n")
    message.add_attachment(b"x" * size, maintype="text", subtype="plain", filename="huge.txt")
    message.add_attachment(b"small notes\n", maintype="text", subtype="plain", filename="small.txt")
    return bytes(message)


def nested_message(depth: int) -> bytes:
    """A message attached to a message ... ``depth`` deep (``message/rfc822``): 1,000 deep
    made the standard library's generator raise ``AttributeError``."""
    message = b"From: zoe@example.org\r\nSubject: innermost\r\n\r\nthe innermost text\r\n"
    for level in range(depth):
        message = (
            b"From: zoe@example.org\r\nSubject: level %d\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" % level
        ) + message
    return message
