"""Airflow operators that run Bluelabel agents: usable in any hand-written DAG."""

from __future__ import annotations

from bluelabel.operators.agent import AgentOperator, DigestOperator, IngestOperator
from bluelabel.operators.email import EmailIngestOperator

__all__ = ["AgentOperator", "DigestOperator", "EmailIngestOperator", "IngestOperator"]
