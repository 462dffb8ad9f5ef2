"""Agents: plain Python (no Airflow import) that ingest documents and build digests."""

from __future__ import annotations

from bluelabel.agents.models import AgentContext, AgentInput
from bluelabel.agents.registry import Agent, agent_names, get_agent, register_agent

__all__ = ["Agent", "AgentContext", "AgentInput", "agent_names", "get_agent", "register_agent"]
