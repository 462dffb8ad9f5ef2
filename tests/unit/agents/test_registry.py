"""Agents by name, and third-party agents through the ``bluelabel.agents`` entry point."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput, agent_names, get_agent, registry
from bluelabel.agents.digest import DigestAgent
from bluelabel.agents.ingest.agent import IngestionAgent
from bluelabel.errors import UnknownAgentError
from tests.conftest import run_agent


def test_builtin_names_and_aliases() -> None:
    assert isinstance(get_agent("ingestion_agent"), IngestionAgent)
    assert isinstance(get_agent("ingestion"), IngestionAgent)
    assert isinstance(get_agent("digest"), DigestAgent)
    assert {"ingestion_agent", "digest_agent", "ingestion", "digest"} <= set(agent_names())


def test_unknown_agent_suggests_the_closest() -> None:
    with pytest.raises(UnknownAgentError, match="did you mean 'digest_agent'"):
        get_agent("digest_agnet")


def test_third_party_agent_from_an_entry_point(tmp_path: Path, monkeypatch, store) -> None:
    # A real installed distribution (dist-info on sys.path) declaring the entry point.
    package = tmp_path / "shout_agent.py"
    package.write_text(
        "class ShoutAgent:\n"
        "    name = 'shout_agent'\n"
        "    def run(self, request, context):\n"
        "        return {'text': request.content['text'].upper()}\n"
    )
    dist = tmp_path / "shout_agent-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-agent\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[bluelabel.agents]\nshout_agent = shout_agent:ShoutAgent\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._entry_point_agents.cache_clear()
    try:
        assert "shout_agent" in agent_names()
        agent = get_agent("shout_agent")
        result = agent.run(AgentInput(content={"text": "hi"}), AgentContext(store=store))
        assert result == {"text": "HI"}
    finally:
        sys.modules.pop("shout_agent", None)
        registry._entry_point_agents.cache_clear()


def test_register_agent_in_code(store) -> None:
    class Echo:
        name = "echo_agent"

        def run(self, request: AgentInput, context: AgentContext) -> dict:
            return dict(request.content)

    registry.register_agent("echo_agent", Echo)
    try:
        assert run_agent("echo_agent", AgentInput(content={"a": 1}), AgentContext(store=store)) == {
            "a": 1
        }
    finally:
        registry._registered.pop("echo_agent")
