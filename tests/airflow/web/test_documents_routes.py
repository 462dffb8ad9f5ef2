"""The knowledge-store API on a real `airflow api-server` (127.0.0.1): search, filters, one
document, bad input, and the short-lived verdict cache in front of it (permissions per DAG:
test_access)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.airflow.conftest import http_get

pytestmark = pytest.mark.usefixtures("airflow_db")


def get_documents(base: str, token: str, **query: Any) -> tuple[int, Any]:
    status, _, body = http_get(
        f"{base}/bluelabel/api/documents?{urllib.parse.urlencode(query)}", token
    )
    return status, json.loads(body)


def search(base: str, token: str, **query: Any) -> dict[str, Any]:
    """The answer, at once: the catalog has a document the moment its ingest commits."""
    status, answer = get_documents(base, token, **query)
    assert status == 200, answer
    return dict(answer)


def test_search_matches_words_and_filters(
    api_server: tuple[str, str], documents: dict[str, str]
) -> None:
    base, token = api_server
    found = search(base, token, q="glacier moraine")
    assert [item["title"] for item in found["items"]] == ["Glacier survey"]
    item = found["items"][0]
    assert item["content_id"] == documents["Glacier survey"]
    assert any(segment["match"] for segment in item["snippet"])

    pdfs = search(base, token, type="pdf")
    assert "The Airflow handbook" in [item["title"] for item in pdfs["items"]]
    assert get_documents(base, token, q="glacier", type="pdf")[1]["total"] == 0
    tagged = get_documents(base, token, tag="orchard")[1]
    assert [item["title"] for item in tagged["items"]] == ["Orchard pruning"]
    by_source = get_documents(base, token, source="violin-making.txt")[1]
    assert [item["title"] for item in by_source["items"]] == ["Violin making"]

    status, detail = get_documents(base, token, since="last tuesday")
    assert status == 422 and "since" in json.dumps(detail)
    assert get_documents(base, token, limit=0)[0] == 422

    status, _, body = http_get(
        f"{base}/bluelabel/api/documents/{documents['Glacier survey']}", token
    )
    assert status == 200 and json.loads(body)["title"] == "Glacier survey"
    assert http_get(f"{base}/bluelabel/api/documents/{'0' * 32}", token)[0] == 404


def test_a_tampered_token_is_refused_after_its_valid_twin(api_server: tuple[str, str]) -> None:
    """The verdict cache is keyed by the exact token string Airflow verified."""
    base, token = api_server
    assert get_documents(base, token, limit=1)[0] == 200  # now cached
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert http_get(f"{base}/bluelabel/api/documents?limit=1", tampered)[0] in (401, 403)
    assert http_get(f"{base}/bluelabel/api/documents?limit=1")[0] == 401
