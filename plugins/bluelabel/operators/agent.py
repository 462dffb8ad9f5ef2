"""``AgentOperator`` runs any registered agent; ``IngestOperator`` and ``DigestOperator`` are
the two built-ins with arguments named for what they do.

Results go to XCom (``return_value``) as small JSON: ids and metadata, never document text.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator, BaseOperatorLink
from airflow.sdk.exceptions import AirflowSkipException

from bluelabel import settings
from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.errors import BluelabelError, NothingToDigest, OutputContractError
from bluelabel.operators.links import DigestLink, SourceDocumentLink
from bluelabel.operators.progress import publisher_for
from bluelabel.store import KnowledgeStore

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The rendered digest is kept in XCom up to this size; beyond it, only ``digest_path``.
MAX_XCOM_DIGEST_CHARS = 64_000


def trigger_input(params: Mapping[str, Any], conf: Mapping[str, Any] | None) -> dict[str, Any]:
    """The agent input a run was triggered with: ``dag_run.conf`` over the DAG's params.

    Either the original ``AgentInput`` shape (``task_type``/``content``...), or the short form
    the trigger form asks for: ``source`` (a path or URL) or ``text``, plus options.
    """
    merged = {**dict(params), **dict(conf or {})}
    if "content" in merged:
        return merged
    content: dict[str, Any] = {}
    source = merged.pop("source", None) or merged.pop("url", None) or merged.pop("file_path", None)
    if isinstance(source, str) and source:
        key = "url" if "://" in source else "file_path"
        content[key] = source
    elif isinstance(merged.get("text"), str):
        content["text"] = merged.pop("text")
    config = {k: v for k, v in merged.items() if k not in ("task_id", "task_type", "metadata")}
    request: dict[str, Any] = {"source": "trigger", "content": content, "config": config}
    if merged.get("task_type"):
        request["task_type"] = merged["task_type"]
    return request


class AgentOperator(BaseOperator):
    """Run the agent registered as ``agent`` and push its result to XCom.

    :param agent: registered agent name (``ingestion_agent``, ``digest_agent``, a third party's)
    :param input_data: agent input in the original ``AgentInput`` shape (templated)
    :param input_from: task ids whose results this step takes as input (fan-in)
    :param use_trigger_input: build the input from the run's params / ``dag_run.conf``
    :param config: merged over the input; the agent honours it (templated)
    :param outputs: keys the result must have; a missing one fails the task
    :param store: knowledge store folder or URL (templated; default ``[bluelabel] store``)
    :param root: folder relative file paths resolve against
    :param item: the input of one mapped instance (``.expand(item=...)``): an agent-input
        mapping, or a string (a path or URL)
    :param map_output: return ``result[map_output]`` (a list) as this task's XCom, so that
        mapped steps can expand over it; the rest of the result goes to XCom key ``details``
    """

    template_fields: Sequence[str] = ("input_data", "config", "store")
    template_fields_renderers: ClassVar[dict[str, str]] = {"input_data": "json", "config": "json"}
    ui_color = "#dbeafe"
    operator_extra_links: Collection[BaseOperatorLink] = (DigestLink(),)

    def __init__(
        self,
        *,
        agent: str,
        input_data: Mapping[str, Any] | None = None,
        input_from: Sequence[str] = (),
        use_trigger_input: bool = False,
        config: Mapping[str, Any] | None = None,
        outputs: Sequence[str] = (),
        store: str | None = None,
        root: str | Path | None = None,
        item: Mapping[str, Any] | str | None = None,
        map_output: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.map_output = map_output
        self.agent = agent
        self.input_data = dict(input_data or {})
        self.input_from = list(input_from)
        self.use_trigger_input = use_trigger_input
        self.config = dict(config or {})
        self.outputs = list(outputs)
        self.store = store
        self.root = str(root) if root else None
        self.last_metrics: dict[str, Any] | None = None
        #: where the digest this task produced is (for the "Open digest" link), if it made one
        self.digest_location: str | None = None

    def _request(self, context: Context) -> AgentInput:
        data = dict(self.input_data)
        if self.item is not None:
            data = _item_input(self.item)
            context["bluelabel_item"] = str(data.get("source") or "")  # type: ignore[typeddict-unknown-key]
        elif self.use_trigger_input:
            dag_run = context.get("dag_run")
            data = trigger_input(context.get("params") or {}, getattr(dag_run, "conf", None))
        data["config"] = {**dict(data.get("config") or {}), **self.config}
        data.setdefault("task_id", self.task_id)
        return AgentInput.from_dict(data, where=f"task {self.task_id!r} input")

    def execute(self, context: Context) -> Any:
        """The agent's small result, or the list mapped steps expand over (``map_output``)."""
        started = time.perf_counter()
        request = self._request(context)
        upstream: list[Mapping[str, Any]] = []
        if self.input_from:
            pulled = context["ti"].xcom_pull(task_ids=self.input_from)
            upstream = [r for r in (pulled if isinstance(pulled, list) else [pulled]) if r]
        root = Path(self.root) if self.root else None
        allowed = settings.allowed_roots()
        publisher = publisher_for(context)
        agent_context = AgentContext(
            store=KnowledgeStore(self.store or settings.store_location()),
            base_dir=root,
            allowed_roots=[root, *allowed] if root is not None else (allowed or None),
            allow_private_urls=settings.allow_private_urls(),
            upstream=upstream,
            from_upstream=bool(self.input_from),
            log=self.log,
        )
        if publisher is not None:
            agent_context.progress = publisher
        loaded = time.perf_counter()
        agent = get_agent(self.agent)
        initialised = time.perf_counter()
        try:
            result = agent.run(request, agent_context)
        except NothingToDigest as exc:
            raise AirflowSkipException(str(exc)) from None
        except BluelabelError as exc:
            # One line a person can act on; the traceback adds nothing for bad input.
            self.log.error("%s failed: %s", self.agent, exc)
            raise
        finally:
            if publisher is not None:
                publisher.close()  # the final value, whatever the outcome
        finished = time.perf_counter()
        missing = [key for key in self.outputs if key not in result]
        if missing:
            raise OutputContractError(
                f"task {self.task_id!r}: agent {self.agent!r} result lacks declared output(s) "
                f"{', '.join(missing)} (it has: {', '.join(sorted(result))})"
            )
        # The step's own breakdown travels with its result (one XCom write, not two), and is
        # left on the operator for the metrics listener, which runs in this same process.
        result["timings"] = {
            "input_load_ms": round((loaded - started) * 1000, 3),
            "agent_init_ms": round((initialised - loaded) * 1000, 3),
            "agent_run_ms": round((finished - initialised) * 1000, 3),
            **(result.get("timings") or {}),
        }
        self.last_metrics = {
            **result["timings"],
            "pages": result.get("page_count"),
            "bytes": result.get("source_bytes"),
        }
        location = result.get("html_path") or result.get("digest_path")
        self.digest_location = location if isinstance(location, str) else None
        if self.map_output is not None:
            return self._mappable(result, context)
        return _small(result)

    def _mappable(self, result: dict[str, Any], context: Context) -> Any:
        """The list mapped steps expand over becomes the XCom; the rest goes under details."""
        items = result.get(self.map_output or "")
        if not isinstance(items, list):
            raise OutputContractError(
                f"task {self.task_id!r}: mapped steps expand over result key "
                f"{self.map_output!r}, but agent {self.agent!r} returned "
                f"{type(items).__name__} there (it has: {', '.join(sorted(result))})"
            )
        details = {k: v for k, v in result.items() if k != self.map_output}
        context["ti"].xcom_push(key="details", value=_small(details))
        self.log.info("%d item(s) to map over; details: %s", len(items), details)
        return items


def _item_input(item: Mapping[str, Any] | str) -> dict[str, Any]:
    """One mapped instance's input: an agent-input mapping, or a path/URL string."""
    if isinstance(item, str):
        key = "url" if "://" in item else "file_path"
        return {"source": item, "content": {key: item}}
    if not isinstance(item, Mapping):
        raise BluelabelError(f"a mapped item must be a mapping or a string, got {item!r}")
    return dict(item)


def _small(result: dict[str, Any]) -> dict[str, Any]:
    """What goes to XCom: the result without bulk text."""
    small = dict(result)
    digest = small.get("digest")
    if isinstance(digest, str) and len(digest) > MAX_XCOM_DIGEST_CHARS:
        small["digest"] = digest[:MAX_XCOM_DIGEST_CHARS] + "\n\n[truncated: see digest_path]\n"
        small["digest_truncated"] = True
    return small


class IngestOperator(AgentOperator):
    """Ingest a PDF path, a URL or text into the knowledge store.

    :param source: a PDF/text file path or an http(s) URL (templated)
    :param source_type: ``pdf``, ``url`` or ``text``; default: guessed from ``source``
    :param text: inline text to ingest instead of ``source`` (templated)
    """

    template_fields: Sequence[str] = (*AgentOperator.template_fields, "source", "text")
    ui_color = "#dcfce7"
    operator_extra_links: Collection[BaseOperatorLink] = (SourceDocumentLink(),)

    def __init__(
        self,
        *,
        source: str | None = None,
        source_type: str | None = None,
        text: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("agent", "ingestion_agent")
        super().__init__(**kwargs)
        self.source = source
        self.source_type = source_type
        self.text = text
        self.ingested_source: str | None = None

    def execute(self, context: Context) -> Any:
        result = super().execute(context)
        if isinstance(result, dict):
            self.ingested_source = result.get("source")  # for SourceDocumentLink
        return result

    def _request(self, context: Context) -> AgentInput:
        if self.source is None and self.text is None:
            return super()._request(context)
        content: dict[str, Any]
        if self.text is not None:
            content = {"text": self.text}
        elif "://" in str(self.source):
            content = {"url": self.source}
        else:
            content = {"file_path": self.source}
        data: dict[str, Any] = {
            "task_id": self.task_id,
            "source": str(self.source or "text"),
            "content": content,
            "config": self.config,
        }
        if self.source_type:
            data["task_type"] = self.source_type
        return AgentInput.from_dict(data, where=f"task {self.task_id!r} input")


class DigestOperator(AgentOperator):
    """Digest the documents of the upstream ingest tasks (or a query) as markdown/HTML/JSON.

    :param format: ``markdown``, ``html`` or ``json`` (templated)
    :param limit: at most this many documents (templated)
    """

    template_fields: Sequence[str] = (*AgentOperator.template_fields, "format", "limit")
    ui_color = "#fef3c7"

    def __init__(
        self, *, format: str | None = None, limit: int | str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("agent", "digest_agent")
        super().__init__(**kwargs)
        self.format = format
        self.limit = limit

    def _request(self, context: Context) -> AgentInput:
        request = super()._request(context)
        extra = {k: v for k, v in (("format", self.format), ("limit", self.limit)) if v is not None}
        if not extra:
            return request
        return AgentInput(
            task_id=request.task_id,
            task_type=request.task_type,
            source=request.source,
            content=request.content,
            metadata=request.metadata,
            context=request.context,
            config={**request.config, **extra},
        )
