"""``AgentOperator`` runs any registered agent; ``IngestOperator`` and ``DigestOperator`` are
the two built-ins with arguments named for what they do.

Results go to XCom (``return_value``) as small JSON: ids and metadata, never document text.
A permanent input error (a missing file, a path outside the roots, not a PDF, a wrong
password, a refused address) fails the task at once, without spending its retries; transient
ones (timeouts, HTTP 5xx, resets) are retried as the task's ``retries`` say.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator, BaseOperatorLink, BaseXCom
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from bluelabel import airflow_ports
from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.agents.inputs import no_progress
from bluelabel.agents.registry import agent_options, canonical_name
from bluelabel.agents.results import AgentResult, as_result
from bluelabel.config import Settings, get_settings
from bluelabel.errors import (
    BluelabelError,
    EveryInputFailed,
    NothingToDigest,
    OutputContractError,
)
from bluelabel.locations import check_location
from bluelabel.metrics.handoff import StepMeasurement, hand_over
from bluelabel.operators.failures import report_failure, upstream_failures
from bluelabel.operators.links import DigestLink, SourceDocumentLink, remember
from bluelabel.operators.measuring import dag_display_name, measure_unfinished, note_start
from bluelabel.operators.progress import publisher_for, push_through_catalog
from bluelabel.operators.secrets import resolve_secrets
from bluelabel.operators.trigger import item_input, trigger_input
from bluelabel.store import KnowledgeStore
from bluelabel.store.records import RunRef

if TYPE_CHECKING:
    from airflow.sdk import Context

airflow_ports.install()  # the agents reach Airflow (object storage, connections) through it

#: The rendered digest is kept in XCom up to this size; beyond it, only ``digest_path``.
MAX_XCOM_DIGEST_CHARS = 64_000
#: Step options that name a location (the inbox agent's inbox, the periodic digest's outbox).
LOCATION_OPTIONS = frozenset({"inbox", "outbox"})
#: A templated value a run supplies: ``{{ params.inbox or '' }}``, ``{{ dag_run.conf[...] }}``.
_RUN_TEMPLATE = re.compile(r"\{\{.*\b(params|dag_run)\b.*\}\}", re.DOTALL)


def run_locations(config: Mapping[str, Any]) -> list[str]:
    """The location options of ``config`` (unrendered) whose value comes from the run: what a
    person typed into the trigger form, which resolves against the trigger root as the form
    says, not against the worker's working folder."""
    return sorted(
        key
        for key, value in config.items()
        if key in LOCATION_OPTIONS and isinstance(value, str) and _RUN_TEMPLATE.search(value)
    )


class AgentOperator(BaseOperator):
    """Run the agent registered as ``agent`` and push its result to XCom.

    :param agent: registered agent name (``ingestion_agent``, ``digest_agent``, a third party's)
    :param input_data: agent input in the original ``AgentInput`` shape (templated)
    :param input_from: task ids whose results this step takes as input (fan-in)
    :param use_trigger_input: build the input from the run's params / ``dag_run.conf``
        (``conf`` may set only the input, the DAG's params and the agent's per-run options)
    :param config: the agent's options, merged over the input (templated)
    :param outputs: keys the result must have; a missing one fails the task
    :param store: knowledge store folder or URL (templated; default ``[bluelabel] store``)
    :param root: folder relative file paths of the workflow resolve against
    :param item: the input of one mapped instance (``.expand(item=...)``): an agent-input
        mapping, or a string (a path or URL)
    :param map_output: return ``result[map_output]`` (a list) as this task's XCom, so that
        mapped steps can expand over it; the rest of the result goes to XCom key ``details``
    """

    template_fields: Sequence[str] = ("input_data", "config", "store")
    template_fields_renderers: ClassVar[dict[str, str]] = {"input_data": "json", "config": "json"}
    ui_color = "#dbeafe"
    operator_extra_links: tuple[BaseOperatorLink, ...] = (DigestLink(),)

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
        self.agent = canonical_name(agent)
        self.input_data = dict(input_data or {})
        self.input_from = list(input_from)
        self.use_trigger_input = use_trigger_input
        self.config = dict(config or {})
        self.run_locations = run_locations(self.config)  # before the templates are rendered
        self.outputs = list(outputs)
        self.store = store
        self.root = str(root) if root else None

    # ------------------------------------------------------------------ input
    def _request(self, context: Context) -> AgentInput:
        data = dict(self.input_data)
        if self.item is not None:
            data = item_input(self.item)
            context["bluelabel_item"] = str(data.get("source") or "")  # type: ignore[typeddict-unknown-key]
        elif self.use_trigger_input:
            dag_run = context.get("dag_run")
            declared = frozenset(self.dag.params) if self.has_dag() else None  # type: ignore[no-untyped-call]
            data = trigger_input(
                context.get("params") or {},
                getattr(dag_run, "conf", None),
                options=agent_options(self.agent),
                declared=declared,
            )
        data["config"] = {**dict(data.get("config") or {}), **self.config}
        data.setdefault("task_id", self.task_id)
        return AgentInput.from_dict(data, where=f"task {self.task_id!r} input")

    def _context(self, context: Context, settings: Settings, progress: Any) -> AgentContext:
        upstream: list[Mapping[str, Any]] = []
        failed: list[dict[str, str]] = []
        if self.input_from:
            pulled = context["ti"].xcom_pull(task_ids=self.input_from)
            upstream = [r for r in (pulled if isinstance(pulled, list) else [pulled]) if r]
            has_dag = self.has_dag()  # type: ignore[no-untyped-call]
            before = sorted(self.get_flat_relative_ids(upstream=True)) if has_dag else []
            failed = upstream_failures(context["ti"], before or list(self.input_from))
        workflow_root = Path(self.root) if self.root else None
        # Paths typed into a trigger form (the input, or a location option templated from the
        # params) resolve against the trigger root, which the form names; paths written in a
        # workflow file against the workflow's root.
        typed = self.use_trigger_input or bool(self.run_locations)
        base_dir = settings.trigger_root if typed else None
        roots = [*([workflow_root] if workflow_root else []), *settings.location_roots]
        store: str | Path = self.store or settings.store
        if store != settings.store:  # a templated store is a location a run may name
            store = check_location(store, roots=roots, base_dir=workflow_root, what="store")
        ti = context["ti"]
        return AgentContext(
            store=KnowledgeStore(store),
            settings=settings,
            base_dir=base_dir or workflow_root,
            allowed_roots=roots,
            allow_private_urls=settings.allow_private_urls,
            upstream=upstream,
            from_upstream=bool(self.input_from),
            upstream_failed=failed,
            log=self.log,
            progress=progress,
            run=RunRef(
                ti.dag_id,
                ti.run_id,
                ti.task_id,
                -1 if ti.map_index is None else ti.map_index,
                ti.try_number,
            ),
        )

    # ------------------------------------------------------------------ run
    def execute(self, context: Context) -> Any:
        """The agent's small result, or the list mapped steps expand over (``map_output``)."""
        started = time.perf_counter()
        started_at = datetime.now(timezone.utc)
        settings = get_settings()
        publisher = publisher_for(context)
        source = str(context.get("bluelabel_item") or "")
        failure: BaseException | None = None
        skipped = False
        agent_context: AgentContext | None = None
        marks = [started]  # start, input loaded, agent initialised: as far as the try got
        try:
            request = self._request(context)
            source = request.source
            request = resolve_secrets(request, agent_options(self.agent), settings)
            agent_context = self._context(context, settings, publisher or no_progress)
            if publisher is not None:
                push_through_catalog(publisher, agent_context.store)
            note_start(self, self.agent, agent_context, started_at, source)
            loaded = time.perf_counter()
            marks.append(loaded)
            agent = get_agent(self.agent)
            initialised = time.perf_counter()
            marks.append(initialised)
            result = as_result(agent.run(request, agent_context))
        except NothingToDigest as exc:
            skipped = True
            raise AirflowSkipException(str(exc)) from None
        except BluelabelError as exc:
            # One line a person can act on; the traceback adds nothing for bad input.
            self.log.error("%s failed: %s", self.agent, exc)
            failure = exc
            if isinstance(exc, EveryInputFailed) and self.do_xcom_push:
                # the digest it made anyway, where the run's Digest tab looks for it
                context["ti"].xcom_push(
                    key=BaseXCom.XCOM_RETURN_KEY, value=_small(exc.result.to_xcom())
                )
            if exc.permanent:
                raise AirflowFailException(
                    f"{exc} (not retried: the input itself is the problem)"
                ) from None
            raise
        except Exception as exc:  # a timeout, a bug: the digest still names what failed
            failure = exc
            raise
        finally:
            if publisher is not None:
                publisher.close()  # the final value, whatever the outcome
            if failure is not None:  # once the publisher's thread is done with the comms
                report_failure(context, source or self.task_id, failure)
            if failure is not None or skipped:
                # the ledger of the store the step used: one the location policy allowed
                if agent_context is not None:
                    store: str | None = agent_context.store.location
                    catalog = agent_context.store.known_catalog_url
                else:
                    store, catalog = None if self.store else str(settings.store), None
                measure_unfinished(
                    self, self.agent, context["ti"], marks, source, failure, store, catalog
                )
        finished = time.perf_counter()
        measurement = StepMeasurement(
            agent=self.agent,
            input_load_ms=(loaded - started) * 1000,
            agent_init_ms=(initialised - loaded) * 1000,
            agent_run_ms=(finished - initialised) * 1000,
            counts=result.counts(),
            store=agent_context.store.location,
            dag_display_name=dag_display_name(self),
            catalog=agent_context.store.known_catalog_url,
        )
        hand_over(context["ti"], measurement)
        data = result.to_xcom()
        missing = [key for key in self.outputs if key not in data]
        if missing:
            raise OutputContractError(
                f"task {self.task_id!r}: agent {self.agent!r} result lacks declared output(s) "
                f"{', '.join(missing)} (it has: {', '.join(sorted(data))})"
            )
        data["timings"] = measurement.timings()
        self._after(result, data, context)
        returned = self._mappable(data, context) if self.map_output is not None else _small(data)
        if self.do_xcom_push:  # what the links read is what XCom holds: nothing, without it
            remember(context["ti"], returned)
        return returned

    def _after(self, result: AgentResult, data: dict[str, Any], context: Context) -> None:
        """Say in the task log where the result a person reads is."""
        where = data.get("html_path") or data.get("digest_path")
        if where:
            self.log.info("Digest of %s document(s) saved as %s", data.get("summary_count"), where)
            for warning in data.get("warnings") or []:
                self.log.warning("%s", warning)

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
    operator_extra_links = (SourceDocumentLink(),)

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
