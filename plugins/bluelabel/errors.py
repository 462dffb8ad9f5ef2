"""Error types. Every message is meant to be read by a person and acted on."""

from __future__ import annotations


class BluelabelError(Exception):
    """Base of every error Bluelabel raises on purpose."""


class IngestError(BluelabelError):
    """A source could not be ingested. ``source`` names it; the message says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class AgentInputError(BluelabelError):
    """An agent was given input it cannot use (missing field, wrong type)."""


class UnknownAgentError(BluelabelError):
    """No agent is registered under the requested name."""


class StoreError(BluelabelError):
    """The knowledge store could not be read or written."""


class OutputContractError(BluelabelError):
    """An agent result lacks keys that the workflow step declared in ``outputs``."""


class NothingToDigest(BluelabelError):
    """A digest asked to skip when empty found no documents (the task is marked skipped)."""
