"""``make demo``: run the shipped PDF workflow end to end through Airflow and show the digest.

Uses the project-local Airflow home (``devtools.local``): generates a small PDF into its
inbox, runs ``airflow dags test pdf_ingestion_digest`` with that PDF as the trigger input, then
reads the digest task's XCom from the metadata DB and prints where the digest is.
"""

from __future__ import annotations

import json
import os
import sys
import time

from devtools import local
from devtools.samples import build_pdf, sample_pages

DAG_ID = "pdf_ingestion_digest"


def main() -> int:
    started = time.monotonic()
    local.prepare()
    pdf = local.INBOX / "airflow-notes.pdf"
    pdf.write_bytes(
        build_pdf(
            sample_pages(12),
            metadata={"Title": "Notes on Airflow and Bluelabel", "Author": "Bluelabel demo"},
        )
    )
    print(f"Running {DAG_ID} on {pdf} through Airflow (airflow dags test)...", flush=True)
    conf = json.dumps({"source": str(pdf), "format": "markdown"})
    run = local.airflow("dags", "test", DAG_ID, "--conf", conf, capture=True)
    digest = _digest_xcom()
    if digest is None:
        print(run.stdout[-4000:], run.stderr[-4000:], sep="\n")
        print("bluelabel demo: the run did not produce a digest", file=sys.stderr)
        return 1
    print(
        f"\nDigest ({digest['format']}, {digest['summary_count']} document): "
        f"{digest['digest_path']}\n"
    )
    print("\n".join(digest["digest"].splitlines()[:16]))
    print(
        f"\nDone in {time.monotonic() - started:.0f} s. Knowledge store: "
        f"{local.settings()['bluelabel']['store']}\n"
        "Start the Airflow UI with `make airflow`."
    )
    return 0


def _digest_xcom() -> dict | None:  # type: ignore[type-arg]
    os.environ.update(local.airflow_env())  # before Airflow is imported: its DB is the demo's
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(
            select(DagRun)
            .where(DagRun.dag_id == DAG_ID)
            .order_by(DagRun.start_date.desc())
            .limit(1)
        ).first()
        if run is None or str(run.state) != "success":
            return None
        row = session.scalars(
            XComModel.get_many(
                run_id=run.run_id, dag_ids=DAG_ID, task_ids="digest", key="return_value"
            )
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


if __name__ == "__main__":
    sys.exit(main())
