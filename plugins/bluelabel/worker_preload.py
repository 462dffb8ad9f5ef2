"""Imported once by each Celery worker before it forks its pool (``[celery]
extra_celery_config = {"imports": ["bluelabel.worker_preload"]}``, in docker/airflow.env).

Every task process is forked from a pool process, and every task process loads Airflow's
plugins for their listeners: importing every ``airflow.plugins`` entry point (a provider's
plugin may pull in the whole API server) took most of a short task's time. Loaded here, in
the worker's main process, the plugins, the task runner's modules and the agents (the PDF
stack, the summariser: 160 ms of imports per task) are inherited by every fork instead of
being imported again for each task; so are the tables built on first use (the stopword index
of language detection, 25 ms; ``datetime.strptime``'s lazy import).
"""

from __future__ import annotations

from datetime import datetime

import airflow.sdk.execution_time.supervisor
import airflow.sdk.execution_time.task_runner  # noqa: F401
from airflow.sdk.listener import get_listener_manager

import bluelabel.agents.digest
import bluelabel.agents.inbox
import bluelabel.agents.ingestion
import bluelabel.agents.periodic
import bluelabel.factory
import bluelabel.operators  # noqa: F401
from bluelabel.agents.registry import agent_names
from bluelabel.agents.summarize import language

get_listener_manager()  # loads the plugins and registers their listeners, once
agent_names()  # reads the bluelabel.agents entry points once (DAG parsing validates names)
language.preload()
datetime.strptime("2026", "%Y")  # imports _strptime (the store's index names are parsed)
