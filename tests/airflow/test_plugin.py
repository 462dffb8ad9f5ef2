"""The plugin is registered once, through the entry point, and wires its macro and link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.airflow.conftest import xcom
from tests.conftest import run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_airflow_lists_the_plugin_exactly_once_without_import_errors() -> None:
    airflow = str(Path(sys.executable).parent / "airflow")
    listed = subprocess.run(
        [airflow, "plugins", "--output", "json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
        timeout=120,
    )
    plugins = json.loads(listed.stdout)
    ours = [p for p in plugins if p["name"] == "bluelabel"]
    assert len(ours) == 1
    assert "airflow.plugins" in ours[0]["source"]  # the entry point, not the plugins folder
    from airflow import plugins_manager

    assert plugins_manager.get_import_errors() == {}


def test_macro_renders_the_store_location(http_server: str, tmp_path: Path) -> None:
    import pendulum
    from airflow.sdk import DAG

    from bluelabel.operators import IngestOperator

    with DAG(
        "macro_and_link_test",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        default_args={"retries": 0},
    ) as dag:
        IngestOperator(
            task_id="ingest",
            source=f"{http_server}/page.html",
            config={"title": "{{ macros.bluelabel.knowledge_store() }}"},
        )
    os.environ["AIRFLOW__BLUELABEL__ALLOW_PRIVATE_URLS"] = "true"  # the server is on loopback
    try:
        run = run_dag(dag)
    finally:
        del os.environ["AIRFLOW__BLUELABEL__ALLOW_PRIVATE_URLS"]
    assert str(run.state) == "success"
    result = xcom(run, "ingest")
    assert result["title"] == os.environ["AIRFLOW__BLUELABEL__STORE"]
    assert xcom(run, "ingest", key="_link_SourceDocumentLink") == f"{http_server}/page.html"
