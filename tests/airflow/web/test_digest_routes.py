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


def test_the_digests_list_says_what_each_digest_is_and_offers_its_files(
    api_server: tuple[str, str], progress_run: Any
) -> None:
    """One entry per digest (not per file) with its title, time, run and document count; each
    file downloads as an attachment; a markdown digest is shown rendered, not as raw text."""
    base, token = api_server
    status, _, body = http_get(f"{base}/bluelabel/api/digests", token)
    assert status == 200
    listed = json.loads(body)
    (digest,) = [d for d in listed if d["run_id"] == progress_run.run_id]
    assert digest["title"] == "Bluelabel digest" and digest["generated_at"]
    assert digest["dag_id"] == "progress_view_test" and digest["task_id"] == "digest"
    assert digest["documents"] == 1 and digest["failed"] == 0
    assert digest["format"] == "html" and digest["name"] == digest["files"]["html"]
    assert sorted(digest["files"]) == ["html", "json", "markdown"]
    names = [d["name"] for d in listed]
    assert len(names) == len(set(names))  # one entry per digest, not one per file

    page_url = f"{base}/bluelabel/api/digests/store/{digest['files']['markdown']}"
    status, headers, page = http_get(page_url, token)
    assert status == 200 and "content-disposition" not in headers
    assert b"<h1>Bluelabel digest</h1>" in page and b"<pre>" not in page
    for fmt, media_type in (
        ("markdown", "text/markdown; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        ("json", "application/json"),
    ):
        url = f"{base}/bluelabel/api/digests/store/{digest['files'][fmt]}?download=true"
        status, headers, data = http_get(url, token)
        assert status == 200 and headers["content-type"] == media_type
        assert headers["content-disposition"].startswith("attachment; filename=")
        assert digest["files"][fmt] in headers["content-disposition"]
    assert json.loads(data)["run"]["run_id"] == progress_run.run_id
