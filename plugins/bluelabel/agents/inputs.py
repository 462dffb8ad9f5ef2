"""What an agent run is given: the original Bluelabel's ``AgentInput`` and the agent's context."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast

from bluelabel.errors import AgentInputError
from bluelabel.store.records import RunRef

if TYPE_CHECKING:
    from bluelabel.agents.options import StepOptions
    from bluelabel.config import Settings
    from bluelabel.locations import Root
    from bluelabel.store import KnowledgeStore

TaskType = Literal["pdf", "url", "text", "html", "docx", "email"]
TASK_TYPES: tuple[TaskType, ...] = ("pdf", "url", "text", "html", "docx", "email")
T = TypeVar("T", bound="StepOptions")

#: The keys of an agent-input JSON file (the original ``AgentInput``). ``timestamp`` and
#: ``config`` are accepted too: the original files carry a timestamp, workflows add config.
AGENT_INPUT_KEYS = frozenset(
    {"task_id", "task_type", "source", "content", "metadata", "context", "timestamp", "config"}
)


@dataclass(frozen=True)
class AgentInput:
    """What an agent is asked to do: the original ``AgentInput`` plus the step's ``config``.

    ``content`` holds the input itself (``file_path``, ``url``, ``text``, ``content_id``);
    ``config`` the step's options, parsed by each agent into its typed options class.
    """

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

    def options(self, cls: type[T], *, settings: Settings | None = None) -> T:
        """The step's typed options: ``config``, over the same names in the input file's
        ``metadata`` (where the original Bluelabel put ``format``); unknown ``config`` keys
        are an error naming them, other ``metadata`` keys are document metadata."""
        from bluelabel.agents.options import option_names, parse_options

        names = option_names(cls)
        legacy = {k: v for k, v in self.metadata.items() if k in names}
        merged = {**legacy, **self.config}
        return parse_options(cls, merged, where=f"task {self.task_id!r} config", settings=settings)


class TaskLog(Protocol):
    """What agents log through: a stdlib ``logging.Logger`` or an Airflow task logger."""

    def debug(self, msg: Any, /, *args: Any) -> Any: ...
    def info(self, msg: Any, /, *args: Any) -> Any: ...
    def warning(self, msg: Any, /, *args: Any) -> Any: ...
    def error(self, msg: Any, /, *args: Any) -> Any: ...


#: ``progress(stage, done, total)``: how far an agent is (pages of a PDF, files of a batch).
ProgressSink = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The default progress sink: progress goes nowhere."""


def _default_settings() -> Settings:
    from bluelabel.config import parse_settings

    return parse_settings({}, Path.cwd())


@dataclass
class AgentContext:
    """What an agent may use besides its input: the store, settings, path policy, a logger.

    ``settings``: the deployment's ``[bluelabel]`` settings (limits and their ceilings).
    ``allowed_roots``: every location a run names must lie under these roots, local folders
    or URL prefixes (:mod:`bluelabel.locations`; ``None``: anywhere, for the CLI run by the
    files' owner). ``base_dir``: relative file paths resolve against it.
    ``upstream``: results of the steps this one takes its input from (fan-in order); with
    ``from_upstream`` set, an empty ``upstream`` means those steps produced nothing.
    ``upstream_failed``: what the steps before this one could not read (a failed mapped
    ingest, a file quarantined when the inbox was listed), ``{"source", "reason"}`` each.
    """

    store: KnowledgeStore
    settings: Settings = field(default_factory=_default_settings)
    base_dir: Path | None = None
    allowed_roots: Sequence[Root] | None = None
    allow_private_urls: bool = False
    upstream: Sequence[Mapping[str, Any]] = ()
    #: the step takes its input from upstream steps (even if they produced nothing)
    from_upstream: bool = False
    upstream_failed: Sequence[Mapping[str, str]] = ()
    log: TaskLog = field(default_factory=lambda: logging.getLogger("bluelabel"))
    progress: ProgressSink = no_progress
    run: RunRef | None = None
