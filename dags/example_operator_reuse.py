"""Reusing Bluelabel's operators in a hand-written Airflow DAG (no YAML).

Two documents are ingested in parallel -- a PDF path and inline text, both templated from
the run's params -- and one digest covers both. Trigger it with, e.g.::

    airflow dags trigger example_operator_reuse \
        --conf '{"pdf": "/data/inbox/report.pdf", "note": "Text to keep.", "format": "html"}'
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from bluelabel.operators import DigestOperator, IngestOperator

with DAG(
    dag_id="example_operator_reuse",
    description="Two ingests in parallel, one digest: Bluelabel operators in plain Python",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "pdf": Param(type="string", minLength=1, title="PDF file"),
        "note": Param(
            "Airflow runs each task when its upstream tasks have succeeded.",
            type="string",
            title="A note to ingest",
        ),
        "format": Param("markdown", enum=["markdown", "html", "json"], title="Digest format"),
    },
    default_args={"retries": 1},
    tags=["bluelabel", "example"],
) as dag:
    ingest_pdf = IngestOperator(task_id="ingest_pdf", source="{{ params.pdf }}")
    ingest_note = IngestOperator(
        task_id="ingest_note",
        text="{{ params.note }}",
        config={"title": "Note from the trigger form"},
    )
    digest = DigestOperator(
        task_id="digest",
        input_from=["ingest_pdf", "ingest_note"],
        format="{{ params.format }}",
        outputs=["digest", "summary_count", "format", "digest_path"],
    )
    [ingest_pdf, ingest_note] >> digest
