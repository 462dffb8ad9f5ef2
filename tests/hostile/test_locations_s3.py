"""The location policy on S3 (a real S3 API: moto's server on 127.0.0.1): a bucket under a root
configured as a URL is an inbox, an outbox and a source; a bucket outside it is refused and
left as it was, and an endpoint behind a refused location is never contacted."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bluelabel.agents import AgentInput
from bluelabel.errors import LocationRefused
from devtools.airflow_api import free_port
from tests.conftest import run_agent
from tests.hostile.locations import Recorder, context_for

CONN = "bl_moto"
INSIDE, OUTSIDE = "bl-inside", "bl-outside"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for bucket in (INSIDE, OUTSIDE):
        request = urllib.request.Request(f"{endpoint}/{bucket}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()
    yield endpoint
    server.stop()


def _connection(endpoint: str) -> str:
    return json.dumps(
        {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
    )


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN.upper()}", _connection(s3_endpoint))
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    for bucket in (INSIDE, OUTSIDE):
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.put_object(Bucket=INSIDE, Key="inbox/notes.txt", Body=b"Notes kept on S3. " * 20)
    client.put_object(Bucket=OUTSIDE, Key="inbox/secret.txt", Body=b"Secret notes. " * 20)
    return client


def _keys(client: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def _roots(tmp_path: Path) -> str:
    return f"{tmp_path}:s3://{CONN}@{INSIDE}/inbox:s3://{CONN}@{INSIDE}/outbox"


def test_a_bucket_under_a_url_root_is_an_inbox(tmp_path: Path, s3: Any) -> None:
    context = context_for(tmp_path, _roots(tmp_path))
    listing = run_agent(
        "inbox_agent", AgentInput(config={"inbox": f"s3://{CONN}@{INSIDE}/inbox"}), context
    )
    [item] = listing["items"]
    assert item["content"] == {"inbox_file": "notes.txt"}
    result = run_agent("ingestion_agent", AgentInput(**item), context)
    assert result["moved_to"].endswith("inbox/processed/notes.txt")
    assert _keys(s3, INSIDE) == ["inbox/processed/notes.txt"]


@pytest.mark.parametrize(
    "inbox",
    [
        f"s3://{CONN}@{OUTSIDE}/inbox",
        f"S3://{CONN}@{OUTSIDE}/inbox",
        f"s3://{CONN}@{INSIDE}/inbox/../../{OUTSIDE}/inbox",
        f"s3://{CONN}@{INSIDE}/inbox/%2e%2e/secrets",
        f"s3://{CONN}@{INSIDE}",  # the bucket above the root
        f"s3://{OUTSIDE}/inbox",  # no connection: the default credentials
    ],
)
def test_a_bucket_outside_the_roots_is_left_alone(tmp_path: Path, s3: Any, inbox: str) -> None:
    context = context_for(tmp_path, _roots(tmp_path))
    with pytest.raises(LocationRefused, match=r"inbox .*not under a URL root"):
        run_agent("inbox_agent", AgentInput(config={"inbox": inbox}), context)
    assert _keys(s3, OUTSIDE) == ["inbox/secret.txt"]
    assert _keys(s3, INSIDE) == ["inbox/notes.txt"]


def test_an_outbox_and_a_source_on_s3(tmp_path: Path, s3: Any) -> None:
    context = context_for(tmp_path, _roots(tmp_path))
    stored = run_agent(
        "ingestion_agent",
        AgentInput(content={"url": f"s3://{CONN}@{INSIDE}/inbox/notes.txt"}),
        context,
    )
    assert stored["content_type"] == "text"
    with pytest.raises(LocationRefused, match=r"source .*refused"):
        run_agent(
            "ingestion_agent",
            AgentInput(content={"url": f"s3://{CONN}@{OUTSIDE}/inbox/secret.txt"}),
            context,
        )
    run_agent(
        "periodic_digest_agent",
        AgentInput(config={"since": "1d", "outbox": f"s3://{CONN}@{INSIDE}/outbox"}),
        context,
    )
    assert [k for k in _keys(s3, INSIDE) if k.startswith("outbox/")]
    with pytest.raises(LocationRefused, match=r"outbox .*refused"):
        run_agent(
            "periodic_digest_agent",
            AgentInput(config={"since": "1d", "outbox": f"s3://{CONN}@{OUTSIDE}/outbox"}),
            context,
        )
    assert _keys(s3, OUTSIDE) == ["inbox/secret.txt"]


def test_an_s3_endpoint_behind_a_refused_location_is_never_contacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_BL_RECORDER", _connection(recorder.url))
        context = context_for(tmp_path, str(tmp_path))
        for request in (
            AgentInput(config={"inbox": "s3://bl_recorder@bucket/inbox"}),
            AgentInput(content={"url": "s3://bl_recorder@bucket/x.pdf"}),
        ):
            agent = "inbox_agent" if request.config else "ingestion_agent"
            with pytest.raises(LocationRefused):
                run_agent(agent, request, context)
        with pytest.raises(LocationRefused):
            run_agent(
                "periodic_digest_agent",
                AgentInput(config={"since": "1d", "outbox": "s3://bl_recorder@bucket/out"}),
                context,
            )
        assert recorder.connections == []
    finally:
        recorder.close()
