"""Agents by name. Built-ins are registered here; third parties use the entry point group
``bluelabel.agents`` (``name = "package.module:AgentClass"``).

An agent class may declare ``options``: a frozen dataclass of
:func:`~bluelabel.agents.options.option` fields. The workflow validator checks a step's
``config`` against it, the JSON Schema describes it, and a run's trigger input may set only
its per-run options. Names are resolved here once: short forms (``ingestion``) become the
canonical name (``ingestion_agent``) before anything else sees them.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from bluelabel.agents.inputs import AgentContext, AgentInput
from bluelabel.errors import UnknownAgentError

ENTRY_POINT_GROUP = "bluelabel.agents"

#: Short names accepted for the built-in agents (SPEC §4).
ALIASES = {
    "ingestion": "ingestion_agent",
    "digest": "digest_agent",
    "inbox": "inbox_agent",
    "periodic_digest": "periodic_digest_agent",
    "email": "email_agent",
}
BUILTIN_AGENTS = (
    "ingestion_agent",
    "digest_agent",
    "inbox_agent",
    "periodic_digest_agent",
    "email_agent",
)


@runtime_checkable
class Agent(Protocol):
    """An agent turns an :class:`AgentInput` into a result: an
    :class:`~bluelabel.agents.results.AgentResult` (or, for third parties, a mapping)."""

    name: str

    def run(self, request: AgentInput, context: AgentContext) -> Any: ...


AgentFactory = Callable[[], Agent]
_registered: dict[str, AgentFactory] = {}


def register_agent(name: str, factory: AgentFactory) -> None:
    """Register ``factory`` (usually the agent class) under ``name``, replacing any other."""
    _registered[name] = factory


@cache
def _entry_point_agents() -> Mapping[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _builtin(name: str) -> AgentFactory | None:
    # Imported on demand so that validating a workflow imports only what it names.
    if name == "ingestion_agent":
        from bluelabel.agents.ingest.agent import IngestionAgent

        return IngestionAgent
    if name == "digest_agent":
        from bluelabel.agents.digest import DigestAgent

        return DigestAgent
    if name == "inbox_agent":
        from bluelabel.agents.inbox import InboxAgent

        return InboxAgent
    if name == "periodic_digest_agent":
        from bluelabel.agents.periodic import PeriodicDigestAgent

        return PeriodicDigestAgent
    if name == "email_agent":
        from bluelabel.agents.mail.agent import EmailAgent

        return EmailAgent
    return None


def canonical_name(name: str) -> str:
    """The one name of an agent (``ingestion`` -> ``ingestion_agent``)."""
    return ALIASES.get(name, name)


def agent_names() -> list[str]:
    """Every name an agent can be requested by, aliases included, sorted."""
    return sorted({*BUILTIN_AGENTS, *ALIASES, *_registered, *_entry_point_agents()})


def is_known_agent(name: str) -> bool:
    return name in agent_names()


def suggest_agent(name: str) -> str | None:
    """The closest known agent name, for a "did you mean" hint."""
    matches = difflib.get_close_matches(name, agent_names(), n=1, cutoff=0.75)
    return matches[0] if matches else None


def agent_factory(name: str) -> AgentFactory:
    """The class (or factory) registered as ``name``; :class:`UnknownAgentError` otherwise."""
    canonical = canonical_name(name)
    factory = _registered.get(canonical) or _builtin(canonical)
    if factory is None and canonical in _entry_point_agents():
        factory = _entry_point_agents()[canonical].load()
    if factory is None:
        hint = suggest_agent(name)
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        raise UnknownAgentError(
            f"unknown agent {name!r}{did_you_mean} (known: {', '.join(agent_names())})"
        )
    return factory


#: Where the built-in agents' option models live: a workflow is checked without importing
#: the agents (the summariser, the renderers, the mail parser).
_BUILTIN_OPTIONS = {
    "ingestion_agent": ("bluelabel.agents.ingest.options", "IngestOptions"),
    "digest_agent": ("bluelabel.agents.step_options", "DigestOptions"),
    "inbox_agent": ("bluelabel.agents.step_options", "InboxOptions"),
    "periodic_digest_agent": ("bluelabel.agents.step_options", "PeriodicOptions"),
    "email_agent": ("bluelabel.agents.step_options", "EmailOptions"),
}


def agent_options(name: str) -> type[Any] | None:
    """The options model the agent declares, or None (its config is not checked)."""
    canonical = canonical_name(name)
    if canonical not in _registered and canonical in _BUILTIN_OPTIONS:
        module, attribute = _BUILTIN_OPTIONS[canonical]
        options = getattr(importlib.import_module(module), attribute)
    else:
        options = getattr(agent_factory(name), "options", None)
    return options if isinstance(options, type) else None


def get_agent(name: str) -> Agent:
    """Instantiate the agent registered as ``name``; raise :class:`UnknownAgentError`."""
    return agent_factory(name)()
