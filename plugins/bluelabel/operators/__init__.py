"""Airflow operators that run Bluelabel agents: usable in any hand-written DAG."""

from __future__ import annotations

from bluelabel.operators.agent import AgentOperator, DigestOperator, IngestOperator

__all__ = ["AgentOperator", "DigestOperator", "IngestOperator"]
