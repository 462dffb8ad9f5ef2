"""``EmailIngestOperator``: the email agent with its arguments named (a mailbox folder over
the IMAP provider's connection into the knowledge store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bluelabel.agents.inputs import AgentInput
from bluelabel.operators.agent import AgentOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class EmailIngestOperator(AgentOperator):
    """Ingest the messages of an IMAP folder: bodies and attachments become documents.

    :param imap_conn_id: Airflow connection of type ``imap`` (default ``imap_default``)
    :param folder: mailbox folder (templated)
    :param search: ``unseen``, ``all`` or IMAP search keys (templated)
    :param since: only messages received since: ISO time or an age like ``7d`` (templated)
    :param processed_folder: move each message read there instead of marking it seen
    """

    template_fields: Sequence[str] = (*AgentOperator.template_fields, "folder", "search", "since")
    ui_color = "#e0e7ff"

    def __init__(
        self,
        *,
        imap_conn_id: str | None = None,
        folder: str | None = None,
        search: str | None = None,
        since: str | None = None,
        processed_folder: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("agent", "email_agent")
        super().__init__(**kwargs)
        self.imap_conn_id = imap_conn_id
        self.folder = folder
        self.search = search
        self.since = since
        self.processed_folder = processed_folder

    def _request(self, context: Context) -> AgentInput:
        request = super()._request(context)
        named = {
            "imap_conn_id": self.imap_conn_id,
            "folder": self.folder,
            "search": self.search,
            "since": self.since,
            "processed_folder": self.processed_folder,
        }
        extra = {k: v for k, v in named.items() if v is not None}
        if not extra:
            return request
        return AgentInput(
            task_id=request.task_id,
            task_type=request.task_type,
            source=request.source,
            content=request.content,
            metadata=request.metadata,
            context=request.context,
            config={**request.config, **extra},
        )
