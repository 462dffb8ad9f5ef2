"""Error types. Every message is meant to be read by a person and acted on.

``permanent`` says whether trying again can help: a missing file, a path outside the roots, a
file that is not a PDF, a wrong password or a refused address fail the same way on every try,
so the operators fail such a task at once instead of spending its retries; a timeout, an HTTP
5xx or a reset connection may pass on the next try.
"""

from __future__ import annotations

from typing import Any


class BluelabelError(Exception):
    """Base of every error Bluelabel raises on purpose."""

    #: trying again with the same input cannot succeed
    permanent: bool = True


class IngestError(BluelabelError):
    """A source could not be ingested. ``source`` names it; the message says why."""

    def __init__(self, source: str, reason: str, *, permanent: bool = True) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.permanent = permanent


class LocationRefused(IngestError):
    """A location a run named (inbox, outbox, store, source) is outside the allowed roots:
    refused before anything touched it."""


class TransientIngestError(IngestError):
    """An ingest that may succeed when tried again (timeout, HTTP 5xx, connection reset)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason, permanent=False)


class CorruptPdfError(IngestError):
    """The PDF backend could not open the file as a PDF (another backend may repair it)."""


class LimitExceeded(IngestError):
    """A document needs more than a configured limit allows (size, pages, memory, time)."""

    def __init__(self, source: str, reason: str, *, setting: str, permanent: bool = True) -> None:
        super().__init__(source, reason, permanent=permanent)
        self.setting = setting


class AgentInputError(BluelabelError):
    """An agent was given input it cannot use (missing field, wrong type, unknown option)."""


class UnknownAgentError(BluelabelError):
    """No agent is registered under the requested name."""


class StoreError(BluelabelError):
    """The knowledge store could not be read or written."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


class OutputContractError(BluelabelError):
    """An agent result lacks keys that the workflow step declared in ``outputs``."""


class NothingToDigest(BluelabelError):
    """A digest asked to skip when empty found no documents (the task is marked skipped)."""


class EveryInputFailed(BluelabelError):
    """Nothing before the step could be read: every input failed. The step still made its
    result (a digest listing each failure with its reason), kept in ``result``; the task fails,
    so the run does too."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


class NoLongerInInbox(IngestError):
    """The inbox file a mapped task was given has been filed away already (by another run)."""
