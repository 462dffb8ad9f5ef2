"""Test DAG for the cluster tests: a PDF ingested into the knowledge store named by the run's
``store`` param (an ``s3://conn_id@bucket/prefix`` URL), then digested from there."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from bluelabel.operators import DigestOperator, IngestOperator

with DAG(
    dag_id="cluster_s3_store",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"pdf": Param(type="string"), "store": Param(type="string")},
    default_args={"retries": 0},
    tags=["test"],
):
    ingest = IngestOperator(task_id="ingest", source="{{ params.pdf }}", store="{{ params.store }}")
    digest = DigestOperator(task_id="digest", input_from=["ingest"], store="{{ params.store }}")
    ingest >> digest
