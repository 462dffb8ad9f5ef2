"""LLM summaries through the Airflow common AI provider: a real ``pydanticai`` connection to a
tiny OpenAI-compatible server on 127.0.0.1, pydantic-ai's own test models, and every failure
falling back to the extractive summariser (or failing clearly when asked to)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.llm import LlmError, LlmSummarizer, chunks, parse_answer
from devtools.samples import SAMPLE_PARAGRAPHS
from tests.conftest import LLM_ANSWER as ANSWER
from tests.conftest import OpenAICompatible as _OpenAI
from tests.conftest import run_agent


def store_text(context: AgentContext, text: str, title: str = "Scheduling notes") -> str:
    request = AgentInput(
        task_type="text", source="notes", content={"text": text}, config={"title": title}
    )
    return str(run_agent("ingestion", request, context)["content_id"])


def llm_digest(context: AgentContext, conn_id: str, **config: Any) -> dict[str, Any]:
    request = AgentInput(
        source="t", config={"summarizer": "llm", "llm_conn_id": conn_id, "format": "json", **config}
    )
    return run_agent("digest", request, context)


def test_digest_with_llm_summaries_through_a_pydanticai_connection(
    context: AgentContext, llm_conn: str
) -> None:
    store_text(context, " ".join(SAMPLE_PARAGRAPHS))
    result = llm_digest(context, llm_conn)
    item = json.loads(result["digest"])["items"][0]
    assert item["summary"] == "The document explains how Airflow schedules work."
    assert item["key_points"] == ["one", "two"]
    assert result["summarizer"] == f"llm ({llm_conn})" and result["warnings"] == []
    [call] = _OpenAI.requests
    assert call["path"] == "/v1/chat/completions" and call["auth"] == "Bearer test-key"
    assert call["body"]["model"] == "tiny-test-model"
    assert "Scheduling notes" in call["body"]["messages"][-1]["content"]  # the packaged prompt
    # cached under the LLM's key: a second digest does not call the model again
    llm_digest(context, llm_conn)
    assert len(_OpenAI.requests) == 1


def test_long_documents_are_summarised_map_reduce(context: AgentContext, llm_conn: str) -> None:
    text = " ".join(SAMPLE_PARAGRAPHS * 6)
    store_text(context, text)
    result = llm_digest(context, llm_conn, chunk_chars=2000, chunk_overlap=100)
    pieces = chunks(text, 2000, 100)
    assert len(pieces) > 2
    assert len(_OpenAI.requests) == len(pieces) + 1  # one call per chunk, then the reduce
    assert "PART SUMMARIES" in _OpenAI.requests[-1]["body"]["messages"][-1]["content"]
    item = json.loads(result["digest"])["items"][0]
    assert item["summary"] == "The document combines how Airflow schedules work."


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_llm_failure_or_timeout_falls_back_and_says_so(
    context: AgentContext, llm_conn: str, mode: str
) -> None:
    _OpenAI.mode = mode
    store_text(context, " ".join(SAMPLE_PARAGRAPHS), title="First")
    store_text(context, " ".join(reversed(SAMPLE_PARAGRAPHS)), title="Second")
    started = time.monotonic()
    result = llm_digest(context, llm_conn, llm_timeout=0.5)
    elapsed = time.monotonic() - started
    items = json.loads(result["digest"])["items"]
    assert len(items) == 2 and all(i["summary"] for i in items)  # extractive summaries
    assert result["summarizer"].startswith(f"extractive (LLM '{llm_conn}' failed")
    assert any("used the extractive summariser" in w for w in result["warnings"])
    # one document pays for the failure; the second goes straight to the fall-back
    assert elapsed < 10, elapsed


def test_missing_connection_fails_at_the_start_or_falls_back(context: AgentContext) -> None:
    store_text(context, " ".join(SAMPLE_PARAGRAPHS))
    with pytest.raises(LlmError, match=r"connection 'no_such_llm'.*set fallback: true"):
        llm_digest(context, "no_such_llm", fallback=False)
    result = llm_digest(context, "no_such_llm")
    assert "connection 'no_such_llm'" in result["summarizer"]
    assert json.loads(result["digest"])["items"][0]["summary"]


def test_llm_summarizer_with_pydantic_ai_test_models() -> None:
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.models.function import FunctionModel
    from pydantic_ai.models.test import TestModel

    plain = LlmSummarizer(conn_id="unused", model=TestModel(custom_output_text=ANSWER))
    data, cacheable = plain.summarize("Some text. " * 50, sentences=2, key_points=3)
    assert data["summary"].startswith("The document explains") and cacheable

    seen: list[str] = []

    def answer(messages: list[Any], info: Any) -> ModelResponse:
        prompt = messages[-1].parts[-1].content
        seen.append(prompt)
        return ModelResponse(parts=[TextPart(f"SUMMARY: part {len(seen)}\nKEY POINTS:\n- p")])

    mapped = LlmSummarizer(
        conn_id="unused", model=FunctionModel(answer), chunk_chars=500, chunk_overlap=50
    )
    data, _ = mapped.summarize("word " * 600, sentences=2, key_points=3, title="T")
    assert mapped.calls == len(seen) == len(chunks("word " * 600, 500, 50)) + 1
    assert data["summary"] == f"part {len(seen)}"  # the reduce step's answer


def test_parse_answer_and_chunks() -> None:
    assert parse_answer("SUMMARY: A.\nKEY POINTS:\n1. x\n* y") == ("A.", ["x", "y"])
    assert parse_answer("Just a paragraph.") == ("Just a paragraph.", [])
    with pytest.raises(LlmError):
        parse_answer("KEY POINTS:\n- x")
    text = " ".join(f"w{i}" for i in range(1000))
    pieces = chunks(text, 300, 50)
    assert all(len(p) <= 300 for p in pieces)
    assert pieces[0].split()[-1] in pieces[1]  # overlap carries context across the cut
    assert "w999" in pieces[-1]
