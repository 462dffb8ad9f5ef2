"""Absurd values and NUL bytes on the plugin API: a 4xx with a message that names the value,
never a 500 (issue 20, item 9). The property test (test_api_properties.py) generates many
more; these are the cases found by hand, kept by name."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.airflow.conftest import http_get

pytestmark = pytest.mark.usefixtures("airflow_db")

ABSURD_WINDOWS = (
    "99999999999d",
    "800000d",
    "9" * 5000 + "w",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2025-13-45",
    "7 fortnights",
)


@pytest.mark.parametrize("value", ABSURD_WINDOWS, ids=lambda v: v[:30])
def test_an_absurd_time_window_is_a_422_naming_the_value(
    api_server: tuple[str, str], value: str
) -> None:
    base, token = api_server
    quoted = urllib.parse.quote(value)
    for path in (
        f"/bluelabel/api/metrics?since={quoted}",
        f"/bluelabel/api/metrics?until={quoted}",
        f"/bluelabel/report?since={quoted}",
        f"/bluelabel/api/documents?since={quoted}",
    ):
        status, _, body = http_get(base + path, token)
        assert status == 422, (path, body[:300])
        detail = json.dumps(json.loads(body))
        assert ("since" in detail or "until" in detail) and value[:20] in detail, detail


def test_times_at_the_edges_that_fit_are_answered(api_server: tuple[str, str]) -> None:
    base, token = api_server
    for value in ("0001-01-03", "9999-12-29T00:00:00+14:00", "1000w", "0d"):
        quoted = urllib.parse.quote(value)
        for path in (f"/bluelabel/api/metrics?since={quoted}", f"/bluelabel/report?since={quoted}"):
            assert http_get(base + path, token)[0] == 200, path


@pytest.mark.parametrize(
    "path",
    [
        "/bluelabel/api/digests/store/a%00.md",
        "/bluelabel/api/digests/outbox/%00",
        "/bluelabel/api/runs/a%00/b/digest",
        "/bluelabel/api/runs/a/b%00/metrics",
        "/bluelabel/api/documents/%00",
        "/bluelabel/api/documents?q=%00",
        "/bluelabel/api/metrics?dag_id=a%00b",
        "/bluelabel/api/progress?dag_id=%00",
        "/bluelabel/report?since=7d%00",
    ],
)
def test_a_nul_byte_is_a_400(api_server: tuple[str, str], path: str) -> None:
    base, token = api_server
    status, _, body = http_get(base + path, token)
    assert status == 400 and b"NUL" in body, body[:300]


def test_path_tricks_stay_inside_the_digest_folders(api_server: tuple[str, str]) -> None:
    base, token = api_server
    for name in ("..%2F..%2Fairflow.cfg", "%2e%2e", "..%5Cairflow.cfg", ".hidden.md"):
        status, _, _ = http_get(f"{base}/bluelabel/api/digests/store/{name}", token)
        assert status in (403, 404), name
