"""LLM summaries through Airflow's common AI provider (``PydanticAIHook``).

Any provider the hook supports works through an Airflow connection (type ``pydanticai``:
host = base URL, password = API key, extra ``{"model": "openai:gpt-4o-mini"}``). Long
documents are summarised map-reduce style: the text is cut into chunks of ``chunk_chars``
characters overlapping by ``chunk_overlap``, each chunk is summarised, then the chunk summaries
are combined. Prompts live in ``prompts/summarize.yaml`` (or a file named by ``prompts``).

Every call has a timeout. On any failure (missing connection, HTTP error, timeout, an answer
that cannot be parsed) the step falls back to the extractive summariser and says so in its
result (``fallback: false`` turns that into a task error instead); after the first failure
the rest of the step's documents go straight to the extractive summariser, so an outage costs
one timeout per step, not one per document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bluelabel.agents.summarize import summarize
from bluelabel.errors import AgentInputError, BluelabelError
from bluelabel.ports import port

DEFAULT_CHUNK_CHARS = 12_000
DEFAULT_CHUNK_OVERLAP = 400
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_CHUNKS = 16
_KEY_POINTS = re.compile(r"^\s*KEY POINTS\s*:?\s*$", re.IGNORECASE | re.MULTILINE)
_SUMMARY = re.compile(r"^\s*SUMMARY\s*:\s*", re.IGNORECASE)


class LlmError(BluelabelError):
    """The LLM could not produce a summary (connection, HTTP, timeout, unusable answer)."""


def load_prompts(path: str | Path | None = None) -> dict[str, Any]:
    """The prompt templates: the packaged ones, or a YAML file with the same keys."""
    if path is None:
        text = (
            resources.files("bluelabel.agents")
            .joinpath("prompts/summarize.yaml")
            .read_text(encoding="utf-8")
        )
        where = "packaged prompts/summarize.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise AgentInputError(f"summarizer prompts {path}: cannot read: {exc}") from None
        where = str(path)
    data = yaml.safe_load(text)
    missing = [k for k in ("instructions", "map", "reduce") if not isinstance(data.get(k), str)]
    if not isinstance(data, dict) or missing:
        raise AgentInputError(f"summarizer prompts {where}: missing text for {missing}")
    return data


def chunks(text: str, size: int, overlap: int) -> list[str]:
    """Cut ``text`` into pieces of about ``size`` characters, ending on whitespace where
    possible, each starting ``overlap`` characters before the previous one ended."""
    if size <= overlap:
        raise AgentInputError(
            f"summarizer: chunk_chars ({size}) must be larger than chunk_overlap ({overlap})"
        )
    pieces = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        pieces.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [p for p in pieces if p]


def parse_answer(answer: str) -> tuple[str, list[str]]:
    """``SUMMARY: ... KEY POINTS: - ...`` -> (summary, points); tolerant of missing labels."""
    parts = _KEY_POINTS.split(answer, maxsplit=1)
    summary = _SUMMARY.sub("", parts[0].strip()).strip()
    points = []
    if len(parts) > 1:
        for line in parts[1].splitlines():
            line = line.strip()
            if line.startswith(("-", "*", "•")):
                points.append(line.lstrip("-*• ").strip())
            elif re.match(r"^\d+[.)]\s", line):
                points.append(re.sub(r"^\d+[.)]\s*", "", line))
    if not summary:
        raise LlmError(f"the model's answer has no summary: {answer[:200]!r}")
    return summary, [p for p in points if p]


@dataclass
class LlmSummarizer:
    """Summaries from an LLM behind an Airflow connection, with the extractive fall-back."""

    conn_id: str
    model_id: str | None = None
    chunk_chars: int = DEFAULT_CHUNK_CHARS
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP
    max_chunks: int = DEFAULT_MAX_CHUNKS
    timeout: float = DEFAULT_TIMEOUT_S
    fallback: bool = True
    prompts_path: str | None = None
    #: a pydantic-ai model to use instead of the connection's (tests: TestModel/FunctionModel)
    model: Any = None
    notes: list[str] = field(default_factory=list)
    calls: int = 0
    _agent: Any = None
    _failed: str | None = None

    def __post_init__(self) -> None:
        self.prompts = load_prompts(self.prompts_path)
        digest = hashlib.sha256(
            repr((self.prompts, self.chunk_chars, self.chunk_overlap)).encode()
        ).hexdigest()[:8]
        self.key = f"llm-{self.conn_id}-{self.model_id or 'conn'}-{digest}"

    @property
    def label(self) -> str:
        if self._failed:
            return f"extractive (LLM '{self.conn_id}' failed: {self._failed})"
        return f"llm ({self.conn_id})"

    def prepare(self) -> None:
        """Resolve the connection and model now: a missing or wrong connection is reported at
        the start of the step (or the step falls back), never half-way."""
        try:
            self._agent = self._build_agent()
        except Exception as exc:
            self._fail(f"connection {self.conn_id!r}: {_reason(exc)}")

    def _build_agent(self) -> Any:
        from pydantic_ai import Agent

        instructions = self.prompts["instructions"]
        if self.model is not None:
            return Agent(self.model, instructions=instructions)
        return port("llm_agent")(self.conn_id, self.model_id, instructions)

    def _fail(self, reason: str) -> None:
        if not self.fallback:
            raise LlmError(
                f"LLM summary failed: {reason} (set fallback: true in the step config to use "
                "the extractive summariser instead)"
            )
        if self._failed is None:
            self._failed = reason
            self.notes.append(
                f"LLM summaries unavailable ({reason}); used the extractive summariser"
            )

    def _ask(self, prompt: str) -> tuple[str, list[str]]:
        self.calls += 1
        result = self._agent.run_sync(prompt, model_settings={"timeout": self.timeout})
        return parse_answer(str(result.output))

    def summarize(
        self,
        text: str,
        *,
        sentences: int,
        key_points: int,
        title: str = "",
        outline: list[Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """(summary, cacheable): a fall-back summary is not cached under the LLM's key."""
        if self._agent is None and self._failed is None:
            self.prepare()
        if self._failed is None and text.strip():
            try:
                return self._llm_summary(text, sentences, key_points, title), True
            except Exception as exc:
                self._fail(_reason(exc))
        result = summarize(text, sentences=sentences, key_points=key_points)
        return (
            {
                "summary": result.summary,
                "key_points": result.key_points,
                "keywords": result.keywords,
            },
            False,
        )

    def _llm_summary(
        self, text: str, sentences: int, key_points: int, title: str
    ) -> dict[str, Any]:
        size = self.chunk_chars
        if len(text) > size * self.max_chunks:  # bound the calls a huge document costs
            size = len(text) // self.max_chunks + self.chunk_overlap + 1
        parts = chunks(text, size, self.chunk_overlap)
        fields = {"title": title or "untitled", "sentences": sentences, "key_points": key_points}
        partial = [
            self._ask(self.prompts["map"].format(text=part, part=n, parts=len(parts), **fields))
            for n, part in enumerate(parts, 1)
        ]
        if len(partial) == 1:
            summary, points = partial[0]
        else:
            joined = "\n\n".join(f"Part {n}: {s}" for n, (s, _) in enumerate(partial, 1))
            summary, points = self._ask(self.prompts["reduce"].format(summaries=joined, **fields))
        keywords = summarize(text, sentences=1, key_points=0).keywords
        return {
            "summary": summary,
            "key_points": points[:key_points],
            "keywords": keywords,
            "chunks": len(parts),
        }


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
