"""The email agent: a mailbox folder over IMAP into the knowledge store.

Reads the folder's messages that match the search (``unseen`` by default, or ``all``, or IMAP
search keys), optionally only those received ``since`` a time, oldest first, at most
``max_messages`` a run; stores each message's body and supported attachments (see
:mod:`~bluelabel.agents.mail.ingest`), then marks it seen -- or moves it to
``processed_folder``. A message that cannot be ingested for good (too large, not a message) is
reported in the result with its reason (any failure reading it: a poison message must not
stop the mailbox) and flagged ``$BluelabelFailed`` -- or moved to the quarantine folder -- so
that no later run reads it again (searches leave the keyword out); a
transient failure (network, a full disk) fails the task, leaving the message unread for the
retry. What the run does not reach (its count or time limit) waits for the next run.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import ClassVar

from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.inputs import AgentContext, AgentInput
from bluelabel.agents.mail.ingest import ingest_message
from bluelabel.agents.mail.mailbox import (
    FAILED_KEYWORD,
    Mailbox,
    MessageInfo,
    OutOfTime,
    open_mailbox,
    search_criteria,
)
from bluelabel.agents.mail.message import MailLimits
from bluelabel.agents.results import MailboxResult
from bluelabel.agents.step_options import EmailOptions as EmailOptions
from bluelabel.errors import AgentInputError, BluelabelError, LimitExceeded
from bluelabel.timeparse import TimeParseError, parse_time


class EmailAgent:
    """Ingest the messages of an IMAP mailbox folder (the Airflow connection ``imap_conn_id``)."""

    name = "email_agent"
    options: ClassVar[type[EmailOptions]] = EmailOptions

    def run(self, request: AgentInput, context: AgentContext) -> MailboxResult:
        opts = request.options(EmailOptions, settings=context.settings)
        settings = context.settings
        try:
            since = parse_time(opts.since, "since")
        except TimeParseError as exc:
            raise AgentInputError(str(exc)) from None
        criteria = search_criteria(opts.search, since)
        limits = MailLimits(
            max_message_bytes=settings.email_max_message_bytes,
            max_attachment_bytes=opts.max_attachment_bytes or settings.email_max_attachment_bytes,
            max_attachments=(
                settings.email_max_attachments
                if opts.max_attachments is None
                else opts.max_attachments
            ),
        )
        most = opts.max_messages or settings.email_max_messages
        deadline = time.monotonic() + settings.email_timeout
        store = context.store
        result = MailboxResult(
            mailbox=f"imap://{opts.imap_conn_id}",
            folder=opts.folder,
            search=criteria,
            store=store.location,
            after=f"moved to {opts.processed_folder}" if opts.processed_folder else "seen",
        )
        # Bodies are fetched <0.limit>: no literal of a well-behaved server is larger.
        literal = settings.email_max_message_bytes + 65536
        with open_mailbox(
            opts.imap_conn_id,
            timeout=settings.imap_timeout,
            max_literal=literal,
            seconds=settings.email_timeout,
        ) as mailbox:
            mailbox.select(opts.folder)
            uids = mailbox.search(criteria)
            info = mailbox.info(uids)
            wanted = [
                info[uid]
                for uid in uids
                if uid in info and (since is None or _received_since(info[uid], since))
            ]
            context.log.info(
                "%s/%s: %d message(s) match %s", result.mailbox, opts.folder, len(wanted), criteria
            )
            for done, message in enumerate(wanted[:most]):
                if time.monotonic() > deadline:
                    context.log.warning(
                        "stopped after %g s ([bluelabel] email_timeout): %d message(s) wait",
                        settings.email_timeout,
                        len(wanted) - done,
                    )
                    result.waiting = len(wanted) - done
                    break
                read_before = len(result.messages) + len(result.failed)
                try:
                    self._one(mailbox, message, opts, limits, context, result)
                except OutOfTime as exc:  # a command cut at the deadline: the rest waits
                    # (stored but not filed: read again next time, and stored once)
                    read = len(result.messages) + len(result.failed) - read_before
                    result.waiting = len(wanted) - done - read
                    context.log.warning("%s: %d message(s) wait", exc, result.waiting)
                    break
                context.progress("messages", done + 1, min(most, len(wanted)))
            else:
                result.waiting = max(0, len(wanted) - most)
        context.log.info(
            "%d message(s) read, %d document(s), %d failed, %d waiting",
            len(result.messages),
            len(result.content_ids),
            len(result.failed),
            result.waiting,
        )
        return result

    def _one(
        self,
        mailbox: Mailbox,
        message: MessageInfo,
        opts: EmailOptions,
        limits: MailLimits,
        context: AgentContext,
        result: MailboxResult,
    ) -> None:
        """One message: stored, then filed away; a permanent failure is reported and filed."""
        source = f"{result.mailbox}/{opts.folder};UID={message.uid}"
        try:
            if message.size > limits.max_message_bytes:
                raise LimitExceeded(
                    source,
                    f"the message is {message.size:,} bytes, over the "
                    f"{limits.max_message_bytes:,}-byte limit "
                    "([bluelabel] email_max_message_bytes)",
                    setting="email_max_message_bytes",
                )
            raw = mailbox.fetch(message.uid, limits.max_message_bytes)
            stored = ingest_message(
                raw,
                source=source,
                opts=IngestOptions(tags=list(opts.tags)),
                context=context,
                extra={"mailbox": result.mailbox, "folder": opts.folder, "uid": message.uid},
                limits=limits,
            )
            result.messages.append(stored)
        except BluelabelError as exc:
            if not exc.permanent:
                raise  # unread: the task's retry reads it again
            self._failed(mailbox, message, opts, context, result, str(exc))
            return
        except (OSError, MemoryError):
            raise  # the task's own disk or memory: the retry reads it again
        except Exception as exc:  # a poison message: any failure reading it is its own
            what = " ".join(str(exc).split())[:200]
            reason = f"{source}: cannot be read ({type(exc).__name__}{': ' + what if what else ''})"
            self._failed(mailbox, message, opts, context, result, reason)
            return
        if opts.processed_folder:
            mailbox.move(message.uid, opts.processed_folder)
        else:
            mailbox.mark_seen(message.uid)

    def _failed(
        self,
        mailbox: Mailbox,
        message: MessageInfo,
        opts: EmailOptions,
        context: AgentContext,
        result: MailboxResult,
        reason: str,
    ) -> None:
        """A message that cannot be read for good: reported with its reason, and filed so
        that no later run reads it again -- flagged, and moved to the quarantine folder when
        one is named. The run goes on with the next message."""
        reason = " ".join(reason.split())
        context.log.error("%s", reason)
        result.failed.append({"uid": str(message.uid), "reason": reason})
        flagged = mailbox.flag_failed(message.uid)
        quarantine = opts.quarantine_folder or context.settings.email_quarantine_folder
        if quarantine:
            mailbox.move(message.uid, quarantine)
        elif not flagged:
            context.log.warning(
                "%s/%s;UID=%s: the server takes no keyword %s: the message is only marked "
                "seen (a search for all messages reads it again)",
                result.mailbox,
                opts.folder,
                message.uid,
                FAILED_KEYWORD,
            )


def _received_since(message: MessageInfo, since: datetime) -> bool:
    return message.received is None or message.received >= since
