"""Agents: plain Python (no Airflow import) that ingest documents and build digests.

The names below are imported on first use: a PDF worker process imports
``bluelabel.agents.sandbox.worker`` and so this package, and must not pay for the registry (its
entry points) and the models it never uses (~100 ms of every worker's start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bluelabel.agents.inputs import AgentContext, AgentInput
    from bluelabel.agents.registry import Agent, agent_names, get_agent, register_agent

__all__ = ["Agent", "AgentContext", "AgentInput", "agent_names", "get_agent", "register_agent"]

_HOMES = {
    "AgentContext": "bluelabel.agents.inputs",
    "AgentInput": "bluelabel.agents.inputs",
    "Agent": "bluelabel.agents.registry",
    "agent_names": "bluelabel.agents.registry",
    "get_agent": "bluelabel.agents.registry",
    "register_agent": "bluelabel.agents.registry",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
