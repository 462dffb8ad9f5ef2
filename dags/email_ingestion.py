"""Airflow DAG loader for workflows/email_ingestion.yaml (written by `bluelabel loaders`).

One loader per workflow file: if the YAML is invalid, Airflow shows this file's import error
with the same FILE:LINE lines as `bluelabel validate`, and every other DAG still loads.
"""

from pathlib import Path

from bluelabel.factory import load_workflows

load_workflows(Path(__file__).parent / "workflows/email_ingestion.yaml", globals())
