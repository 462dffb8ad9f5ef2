"""Shared storage for workers on several machines: the knowledge store, the batch inbox and
the periodic digest's outbox on S3 (a real S3 API: moto's server on 127.0.0.1) through
Airflow's ObjectStoragePath and an Airflow connection; a Celery task writes, the CLI reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.samples import build_pdf, sample_pages
from tests.cluster.conftest import S3_BUCKET, S3_CONN_ID, RunningCluster, s3_connection


def _s3(cluster: RunningCluster) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=cluster.s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def _keys(cluster: RunningCluster, prefix: str) -> list[str]:
    listing = _s3(cluster).list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_a_celery_task_writes_the_store_on_s3_and_the_cli_reads_it(
    cluster: RunningCluster,
) -> None:
    store = f"s3://{S3_CONN_ID}@{S3_BUCKET}/store"
    pdf = cluster.started.inbox / "s3-report.pdf"
    pdf.write_bytes(build_pdf(sample_pages(3), metadata={"Title": "Stored on S3"}))
    run_id = cluster.api.trigger("cluster_s3_store", {"pdf": str(pdf), "store": store})
    assert cluster.api.wait("cluster_s3_store", [run_id]) == {run_id: "success"}
    content_id = cluster.api.result("cluster_s3_store", run_id, "ingest")["content_id"]

    keys = _keys(cluster, "store/")
    assert f"store/objects/{content_id[:2]}/{content_id}.json" in keys
    assert f"store/objects/{content_id[:2]}/{content_id}.txt" in keys
    assert not [k for k in keys if "/tmp/" in k or ".staging-" in k]

    read = cluster.cli("digest", "--store", store, "--format", "json")
    assert read.returncode == 0, read.stderr
    items = json.loads(read.stdout)["items"]  # stdout is the result only, Airflow logs aside
    assert [(i["content_id"], i["title"]) for i in items] == [(content_id, "Stored on S3")]

    note = "A note the CLI writes to the same store on S3."
    written = cluster.cli("ingest", "--type", "text", "--store", store, note)
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["content_length"] == len(note)


def test_batch_inbox_and_digest_outbox_on_s3(cluster: RunningCluster) -> None:
    s3 = _s3(cluster)
    inbox = f"s3://{S3_CONN_ID}@{S3_BUCKET}/inbox"
    pdf = build_pdf(sample_pages(2), metadata={"Title": "Dropped into the S3 inbox"})
    s3.put_object(Bucket=S3_BUCKET, Key="inbox/report.pdf", Body=pdf)
    s3.put_object(Bucket=S3_BUCKET, Key="inbox/notes.txt", Body=b"Notes kept on S3. " * 20)
    s3.put_object(Bucket=S3_BUCKET, Key="inbox/broken.pdf", Body=b"not a PDF at all\n" * 10)

    run_id = cluster.api.trigger("batch_ingestion", {"inbox": inbox, "settle_seconds": 0})
    assert cluster.api.wait("batch_ingestion", [run_id]) == {run_id: "success"}
    states = cluster.api.mapped_states("batch_ingestion", run_id, "ingest")
    assert states == {"report.pdf": "success", "notes.txt": "success", "broken.pdf": "failed"}
    assert _keys(cluster, "inbox/") == [
        "inbox/processed/notes.txt",
        "inbox/processed/report.pdf",
        "inbox/quarantine/broken.pdf",
        "inbox/quarantine/broken.pdf.reason.txt",
    ]

    outbox = f"s3://{S3_CONN_ID}@{S3_BUCKET}/outbox"
    digest_run = cluster.api.trigger("periodic_digest", {"since": "1h", "outbox": outbox})
    assert cluster.api.wait("periodic_digest", [digest_run]) == {digest_run: "success"}
    published = _keys(cluster, "outbox/")
    # every format of OUTBOX_FORMATS (the periodic step's `formats` option), one name for all
    assert [k.rsplit(".", 1)[-1] for k in published] == ["html", "json", "md"]
    markdown = s3.get_object(Bucket=S3_BUCKET, Key=published[2])["Body"].read().decode()
    assert "Dropped into the S3 inbox" in markdown


def test_an_empty_store_on_s3_lists_nothing(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An S3 prefix with no objects is an empty store (listing it is NotADirectoryError); a
    store on S3 has no catalog of its own: without a connection, one line says what to set."""
    from bluelabel.errors import StoreError
    from bluelabel.store import KnowledgeStore
    from bluelabel.store.reindex import ledger_files

    monkeypatch.setenv(f"AIRFLOW_CONN_{S3_CONN_ID.upper()}", json.dumps(s3_connection(s3_endpoint)))
    location = f"s3://{S3_CONN_ID}@{S3_BUCKET}/empty-store"
    with pytest.raises(StoreError, match=r"set \[bluelabel\] catalog_conn_id"):
        KnowledgeStore(location).query()
    store = KnowledgeStore(location, catalog=f"sqlite:///{tmp_path}/catalog.sqlite3")
    assert store.query() == []
    assert list(ledger_files(store)) == []  # an older store's runs/: none here
