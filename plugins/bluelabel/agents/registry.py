"""Agents by name. Built-ins are registered here; third parties use the entry point group
``bluelabel.agents`` (``name = "package.module:AgentClass"``)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from bluelabel.agents.models import AgentContext, AgentInput
from bluelabel.errors import UnknownAgentError

ENTRY_POINT_GROUP = "bluelabel.agents"

#: Short names accepted for the built-in agents (SPEC §4).
ALIASES = {
    "ingestion": "ingestion_agent",
    "digest": "digest_agent",
    "inbox": "inbox_agent",
    "periodic_digest": "periodic_digest_agent",
}


@runtime_checkable
class Agent(Protocol):
    """An agent turns an :class:`AgentInput` into a JSON-serialisable result dict."""

    name: str

    def run(self, request: AgentInput, context: AgentContext) -> dict[str, Any]: ...


AgentFactory = Callable[[], Agent]

BUILTIN_AGENTS = ("ingestion_agent", "digest_agent", "inbox_agent", "periodic_digest_agent")

_registered: dict[str, AgentFactory] = {}


def register_agent(name: str, factory: AgentFactory) -> None:
    """Register ``factory`` (usually the agent class) under ``name``, replacing any other."""
    _registered[name] = factory


@cache
def _entry_point_agents() -> Mapping[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _builtin_agents() -> dict[str, AgentFactory]:
    # Imported lazily so that validating a workflow does not import the PDF stack.
    from bluelabel.agents.digest import DigestAgent
    from bluelabel.agents.inbox import InboxAgent
    from bluelabel.agents.ingestion import IngestionAgent
    from bluelabel.agents.periodic import PeriodicDigestAgent

    return {
        "ingestion_agent": IngestionAgent,
        "digest_agent": DigestAgent,
        "inbox_agent": InboxAgent,
        "periodic_digest_agent": PeriodicDigestAgent,
    }


def agent_names() -> list[str]:
    """Every name an agent can be requested by, aliases included, sorted."""
    names = {*BUILTIN_AGENTS, *ALIASES, *_registered, *_entry_point_agents()}
    return sorted(names)


def is_known_agent(name: str) -> bool:
    return name in agent_names()


def suggest_agent(name: str) -> str | None:
    """The closest known agent name, for a "did you mean" hint."""
    matches = difflib.get_close_matches(name, agent_names(), n=1, cutoff=0.75)
    return matches[0] if matches else None


def get_agent(name: str) -> Agent:
    """Instantiate the agent registered as ``name``; raise :class:`UnknownAgentError`."""
    canonical = ALIASES.get(name, name)
    factory = _registered.get(canonical)
    if factory is None:
        factory = _builtin_agents().get(canonical)
    if factory is None and canonical in _entry_point_agents():
        factory = _entry_point_agents()[canonical].load()
    if factory is None:
        hint = suggest_agent(name)
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        raise UnknownAgentError(
            f"unknown agent {name!r}{did_you_mean} (known: {', '.join(agent_names())})"
        )
    return factory()
