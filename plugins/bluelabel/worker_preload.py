"""Imported once by each Celery worker before it forks its pool (``[celery]
extra_celery_config = {"imports": ["bluelabel.worker_preload"]}``, in docker/airflow.env).

Every task process is forked from a pool process, and every task process loads Airflow's
plugins for their listeners: importing every ``airflow.plugins`` entry point (a provider's
plugin may pull in the whole API server) took most of a short task's time. Loaded here, in
the worker's main process, the plugins, the task runner's modules and the agents (the PDF
stack, the summariser: 160 ms of imports per task) are inherited by every fork instead of
being imported again for each task; so are the tables built on first use (the stopword index
of language detection, 25 ms), the ``[bluelabel]`` settings (read once per process, 1-2 ms)
and, from one rehearsal (a text ingested into a throw-away store and digested, a template
rendered as a task renders its fields), the caches warmed by a first run: compiled patterns,
type hints, lazy imports, Jinja's first environment (2 ms, 0.4 ms warm). A task's digest of
one document took 28 ms with none of this, 7 ms with the index, 2-3 ms rehearsed. So, as for
Airflow's own configuration (parsed once here too), a changed ``[bluelabel]`` setting reaches
the tasks when the worker restarts.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import airflow.sdk.execution_time.supervisor
import airflow.sdk.execution_time.task_runner  # noqa: F401
from airflow.sdk import DAG
from airflow.sdk.listener import get_listener_manager

import bluelabel.agents.digest
import bluelabel.agents.inbox
import bluelabel.agents.ingest.agent
import bluelabel.agents.periodic
import bluelabel.factory
import bluelabel.operators  # noqa: F401
from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.registry import agent_names, get_agent
from bluelabel.agents.summarize import language
from bluelabel.config import get_settings
from bluelabel.store import KnowledgeStore

log = logging.getLogger(__name__)

REHEARSAL_TEXT = (
    "Bluelabel rehearses one ingest and one digest before the worker forks its pool. "
    "The store it writes is temporary and removed at once; no task ever sees it. "
) * 4


def rehearse() -> None:
    """Ingest a short text into a temporary store and digest it, then remove the store; render
    a template. A failure (say, no writable temporary folder, or a bad ``[bluelabel]`` setting,
    which every task will then report itself) only costs the warm caches: it is logged."""
    try:
        DAG("bluelabel_rehearsal", schedule=None).get_template_env().from_string(
            "{{ params.text }}"
        ).render(params={"text": REHEARSAL_TEXT})
        with tempfile.TemporaryDirectory(prefix="bluelabel-rehearsal-") as tmp:
            context = AgentContext(
                store=KnowledgeStore(Path(tmp) / "store"), settings=get_settings()
            )
            ingested = get_agent("ingestion_agent").run(
                AgentInput(task_type="text", source="rehearsal", content={"text": REHEARSAL_TEXT}),
                context,
            )
            get_agent("digest_agent").run(
                AgentInput(config={"content_ids": [ingested.content_id]}),
                context,
            )
    except Exception as exc:  # the worker must start regardless
        log.warning("bluelabel: the worker's warm-up rehearsal failed (%s); tasks still run", exc)


get_listener_manager()  # loads the plugins and registers their listeners, once
agent_names()  # reads the bluelabel.agents entry points once (DAG parsing validates names)
language.preload()
rehearse()
