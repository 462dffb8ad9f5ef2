"""Email: messages (``.eml`` files, IMAP mailboxes) into the knowledge store.

``message``: parsing one untrusted message (headers, body, attachments, limits). ``ingest``:
storing a parsed message -- its body and each supported attachment as documents linked to it.
``mailbox``: reading a folder over IMAP (search, fetch within limits, mark seen or move).
``agent``: the ``email_agent``.
"""

from __future__ import annotations

from bluelabel.agents.mail.message import MailLimits, ParsedMessage, parse_message

__all__ = ["MailLimits", "ParsedMessage", "parse_message"]
