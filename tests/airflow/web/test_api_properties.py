"""A property of the whole plugin API, from its own OpenAPI document: no request, however
generated, makes a route answer 5xx, as the admin or without a token (issue 20).

Schemathesis turns every operation's parameters into Hypothesis strategies, valid ones and
(negative mode) ones that break the schema: absurd numbers, long strings, control characters,
missing values. Each request goes to a real ``airflow api-server`` on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.airflow.conftest import http_get

pytestmark = [pytest.mark.usefixtures("airflow_db"), pytest.mark.slow]

#: Examples per operation, mode and caller: ~10 operations x 2 x 2 x this many requests.
EXAMPLES = 40


@pytest.fixture(scope="module")
def openapi_document(api_server: tuple[str, str]) -> dict[str, Any]:
    base, token = api_server
    assert http_get(f"{base}/bluelabel/openapi.json")[0] == 401  # behind the same auth
    status, headers, body = http_get(f"{base}/bluelabel/openapi.json", token)
    assert status == 200 and headers["content-type"] == "application/json"
    document: dict[str, Any] = json.loads(body)
    return document


def test_the_openapi_document_describes_every_api_route(
    openapi_document: dict[str, Any],
) -> None:
    paths = set(openapi_document["paths"])
    assert {
        "/api/metrics",
        "/api/runs/{dag_id}/{run_id}/metrics",
        "/report",
        "/api/documents",
        "/api/documents/{content_id}",
        "/api/digests",
        "/api/runs/{dag_id}/{run_id}/digest",
        "/api/progress",
    } <= paths
    download = openapi_document["paths"]["/api/runs/{dag_id}/{run_id}/digest"]["get"]
    formats = next(p for p in download["parameters"] if p["name"] == "format")
    assert "md" in json.dumps(formats["schema"])


@pytest.mark.parametrize("caller", ["admin", "anonymous"])
def test_no_generated_request_makes_a_route_fail(
    api_server: tuple[str, str], openapi_document: dict[str, Any], caller: str
) -> None:
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    base, token = api_server
    headers = {"Authorization": f"Bearer {token}"} if caller == "admin" else {}
    schema = schemathesis.openapi.from_dict(openapi_document)
    session = requests.Session()
    failures: list[str] = []
    statuses: set[int] = set()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                request = case.as_transport_kwargs(base_url=f"{base}/bluelabel")
                request["headers"] = {**(request.get("headers") or {}), **headers}
                # stream: /api/progress answers an endless event stream; its status is enough
                with session.request(
                    **request, stream=True, timeout=30, allow_redirects=False
                ) as response:
                    statuses.add(response.status_code)
                    if response.status_code >= 500:
                        failures.append(
                            f"{response.status_code} {case.method} {response.request.url}: "
                            f"{response.raw.read(300, decode_content=True)!r}"
                        )

            check()
    session.close()
    assert not failures, "\n".join(sorted(set(failures))[:20])
    if caller == "admin":  # the requests went through: answered, and refused for their values
        assert {200, 404, 422} <= statuses, statuses
    else:  # refused; 404: a generated path no route matches (a "/" in a path parameter)
        assert statuses <= {400, 401, 403, 404, 422} and 401 in statuses, statuses
