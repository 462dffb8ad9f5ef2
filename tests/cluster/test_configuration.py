"""One configuration: the ``bluelabel`` CLI, run with the cluster's settings, sees the store
the DAGs write (``[bluelabel] store`` / ``AIRFLOW__BLUELABEL__STORE``)."""

from __future__ import annotations

import json

from devtools.samples import build_pdf, sample_pages
from tests.cluster.conftest import RunningCluster

DAG_ID = "pdf_ingestion_digest"


def test_the_cli_reads_the_store_the_dags_write(cluster: RunningCluster) -> None:
    pdf = cluster.started.inbox / "same-store.pdf"
    pdf.write_bytes(build_pdf(sample_pages(2), metadata={"Title": "Seen by the CLI"}))
    run_id = cluster.api.trigger(DAG_ID, {"source": str(pdf)})
    assert cluster.api.wait(DAG_ID, [run_id]) == {run_id: "success"}
    content_id = cluster.api.result(DAG_ID, run_id, "ingest")["content_id"]

    read = cluster.cli("digest", "--format", "json", "--content-id", content_id)
    assert read.returncode == 0, read.stderr
    assert [i["title"] for i in json.loads(read.stdout)["items"]] == ["Seen by the CLI"]
