"""A run's digest on a real API server: the page, the list of a run's digests, and the
downloads in markdown, HTML and JSON (issue 23)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.airflow.conftest import http_get

pytestmark = pytest.mark.usefixtures("airflow_db")


def run_url(base: str, run: Any) -> str:
    return f"{base}/bluelabel/api/runs/{run.dag_id}/{urllib.parse.quote(run.run_id, safe='')}"


def test_the_run_lists_its_digest_with_a_file_per_format(
    api_server: tuple[str, str], progress_run: Any
) -> None:
    base, token = api_server
    status, _, body = http_get(run_url(base, progress_run) + "/digests", token)
    assert status == 200
    (digest,) = json.loads(body)
    assert digest["task_id"] == "digest" and digest["map_index"] == -1
    assert digest["format"] == "html" and digest["location"].endswith(".html")
    assert set(digest["files"]) == {"markdown", "html", "json"}
    stems = {location.rsplit(".", 1)[0] for location in digest["files"].values()}
    assert len(stems) == 1  # one name, three suffixes


def test_the_digest_downloads_in_each_format(
    api_server: tuple[str, str], progress_run: Any
) -> None:
    base, token = api_server
    url = run_url(base, progress_run) + "/digest"
    status, headers, _ = http_get(url, token)  # the page the Digest tab shows: inline
    assert status == 200 and "content-disposition" not in headers
    assert headers["content-security-policy"].startswith("default-src 'none'")

    expected = {
        "md": ("text/markdown; charset=utf-8", b"# Bluelabel digest"),
        "html": ("text/html; charset=utf-8", b"<!DOCTYPE html>"),
        "json": ("application/json", b'"title": "Bluelabel digest"'),
    }
    for fmt, (media_type, start) in expected.items():
        status, headers, body = http_get(f"{url}?format={fmt}", token)
        assert status == 200, body[:300]
        assert headers["content-type"] == media_type
        assert headers["x-content-type-options"] == "nosniff"
        disposition = headers["content-disposition"]
        assert disposition.startswith("attachment; filename=")
        assert f"-digest.{fmt}" in disposition and progress_run.dag_id in disposition
        assert start in body[:200]
        assert b"Progress views show pages done" in body
    data = json.loads(http_get(f"{url}?format=json", token)[2])
    assert data["count"] == 1 and data["items"][0]["summary"]

    status, _, body = http_get(f"{url}?format=pdf", token)
    assert status == 422 and b"format" in body
    status, _, body = http_get(f"{url}?format=md&task_id=count_pages", token)
    assert status == 404 and b"count_pages" in body
