"""The agent-input shape of the original Bluelabel (``AgentInput``) and the agents' context."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from bluelabel.errors import AgentInputError

if TYPE_CHECKING:
    from bluelabel.store import KnowledgeStore

TaskType = Literal["pdf", "url", "text"]
TASK_TYPES: tuple[TaskType, ...] = ("pdf", "url", "text")

#: The keys of an agent-input JSON file (the original ``AgentInput``). ``timestamp`` and
#: ``config`` are accepted too: the original files carry a timestamp, workflows add config.
AGENT_INPUT_KEYS = frozenset(
    {"task_id", "task_type", "source", "content", "metadata", "context", "timestamp", "config"}
)


def whole_number(value: Any, name: str, *, agent: str, allow_zero: bool = False) -> int:
    """An option that must be a whole number >= 1 (>= 0 with ``allow_zero``); templated
    options arrive as strings ("10"), which are accepted."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AgentInputError(f"{agent}: {name} must be a whole number, got {value!r}") from None
    if number < (0 if allow_zero else 1):
        raise AgentInputError(
            f"{agent}: {name} must be {'>= 0' if allow_zero else '>= 1'}, got {number}"
        )
    return number


@dataclass(frozen=True)
class AgentInput:
    """What an agent is asked to do: the original ``AgentInput`` plus the step's ``config``."""

    task_id: str = "adhoc"
    task_type: TaskType | None = None
    source: str = "unknown"
    content: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "agent input") -> AgentInput:
        """Build from the JSON shape; raise :class:`AgentInputError` naming the bad field."""
        if not isinstance(data, Mapping):
            raise AgentInputError(f"{where}: expected a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - AGENT_INPUT_KEYS)
        if unknown:
            raise AgentInputError(
                f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(sorted(AGENT_INPUT_KEYS))}"
            )
        task_type = data.get("task_type")
        if task_type is not None and task_type not in TASK_TYPES:
            raise AgentInputError(
                f"{where}: task_type must be one of {', '.join(TASK_TYPES)}, got {task_type!r}"
            )
        for key in ("content", "metadata", "context", "config"):
            if not isinstance(data.get(key, {}), Mapping):
                raise AgentInputError(f"{where}: {key!r} must be an object")
        for key in ("task_id", "source"):
            if key in data and not isinstance(data[key], str):
                raise AgentInputError(f"{where}: {key!r} must be a string")
        return cls(
            task_id=data.get("task_id", "adhoc"),
            task_type=cast("TaskType | None", task_type),
            source=data.get("source", "unknown"),
            content=dict(data.get("content", {})),
            metadata=dict(data.get("metadata", {})),
            context=dict(data.get("context", {})),
            config=dict(data.get("config", {})),
        )

    def option(self, key: str, default: Any = None) -> Any:
        """A setting: the step's ``config`` wins over ``content``, which wins over ``metadata``."""
        for layer in (self.config, self.content, self.metadata):
            if key in layer:
                return layer[key]
        return default

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no setting; templated values arrive as text ("false", "0", "no" are off)."""
        value = self.option(key, default)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)


class TaskLog(Protocol):
    """What agents log through: a stdlib ``logging.Logger`` or an Airflow task logger."""

    def debug(self, msg: Any, /, *args: Any) -> Any: ...
    def info(self, msg: Any, /, *args: Any) -> Any: ...
    def warning(self, msg: Any, /, *args: Any) -> Any: ...
    def error(self, msg: Any, /, *args: Any) -> Any: ...


@dataclass
class AgentContext:
    """What an agent may use besides its input: the store, path policy, a logger.

    ``allowed_roots``: local files may only be read below these folders (``None``: anywhere).
    ``base_dir``: relative file paths resolve against it.
    ``upstream``: results of the steps this one takes its input from (fan-in order); with
    ``from_upstream`` set, an empty ``upstream`` means those steps produced nothing.
    ``progress``: ``progress(stage, done, total)`` reports how far the work is (pages of a PDF,
    documents of a batch); call it as often as is natural, the receiver throttles.
    """

    store: KnowledgeStore
    base_dir: Path | None = None
    allowed_roots: Sequence[Path] | None = None
    allow_private_urls: bool = False
    upstream: Sequence[Mapping[str, Any]] = ()
    #: the step takes its input from upstream steps (even if they produced nothing)
    from_upstream: bool = False
    log: TaskLog = field(default_factory=lambda: logging.getLogger("bluelabel"))
    progress: Callable[[str, int, int], None] = field(default=lambda stage, done, total: None)
