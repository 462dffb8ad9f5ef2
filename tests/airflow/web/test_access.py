"""Who may read what through the plugin API, on a real API server whose auth manager limits
the user ``reader`` to one DAG (``READER_DAG``): per-DAG rules on every route, a logged-out
token refused at once, and the per-user cap on open progress streams."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from typing import Any

import pytest

from tests.airflow.conftest import READER_DAG, api_login, http_get

pytestmark = pytest.mark.usefixtures("airflow_db")


def first_run_id(dag_id: str) -> str:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=dag_id).first()
        assert run is not None, dag_id
        return str(run.run_id)


def eventually(read: Any, until: Any, seconds: float = 20) -> Any:
    """``read()`` until ``until(value)`` or the deadline (the API caches who may read what
    and the figures for a few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_a_user_limited_to_one_dag_reads_only_that_dags_runs(
    api_server: tuple[str, str], reader_token: str, progress_run: Any, recorded_runs: str
) -> None:
    base, admin = api_server
    assert progress_run.dag_id == READER_DAG and recorded_runs != READER_DAG
    mine = f"{base}/bluelabel/api/runs/{READER_DAG}/{urllib.parse.quote(progress_run.run_id)}"
    other_run = urllib.parse.quote(first_run_id(recorded_runs))
    other = f"{base}/bluelabel/api/runs/{recorded_runs}/{other_run}"
    for tail in ("/digest", "/digests", "/metrics", "/digest?format=md"):
        assert http_get(mine + tail, reader_token)[0] == 200, tail
        assert http_get(other + tail, reader_token)[0] == 403, tail
        assert http_get(other + tail, admin)[0] in (200, 404), tail  # the admin may look
    status, _, _ = http_get(f"{base}/bluelabel/api/progress?dag_id={recorded_runs}", reader_token)
    assert status == 403

    def workflows(token: str) -> set[str]:
        status, _, body = http_get(f"{base}/bluelabel/api/metrics", token)
        assert status == 200
        return set(json.loads(body)["workflows"])

    assert recorded_runs in eventually(lambda: workflows(admin), lambda w: recorded_runs in w)
    seen = eventually(lambda: workflows(reader_token), lambda w: READER_DAG in w)
    assert READER_DAG in seen and recorded_runs not in seen
    status, _, report = http_get(f"{base}/bluelabel/report?format=md&since=30d", reader_token)
    assert status == 200 and recorded_runs.encode() not in report
    status, _, report = http_get(f"{base}/bluelabel/report?format=md&since=30d", admin)
    assert status == 200 and recorded_runs.encode() in report


def test_a_logged_out_token_is_refused_from_the_next_request(
    api_server: tuple[str, str],
) -> None:
    """The plugin keeps a verified token's user for a few seconds, but asks about revocation
    on every request: a logout (on any API server) is seen by the next request."""
    base, _ = api_server
    token = api_login(base, "admin", "test-password")
    routes = ("/bluelabel/api/metrics", "/bluelabel/api/documents?limit=1", "/bluelabel/report")
    for route in routes:
        for _ in range(2):  # the second one is answered from the token cache
            assert http_get(base + route, token)[0] == 200, route
    status, _, _ = http_get(f"{base}/api/v2/auth/logout", token)
    assert status in (302, 307)
    for route in (*routes, "/bluelabel/api/digests", "/bluelabel/api/progress"):
        assert http_get(base + route, token)[0] in (401, 403), route


async def _open_streams(url: str, token: str, count: int) -> tuple[list[int], Any, list[Any]]:
    """Open ``count`` progress streams at once; returns their statuses, the client and the
    open responses (for the caller to close)."""
    import httpx

    client = httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(30, read=None)
    )

    async def one() -> Any:
        request = client.build_request("GET", url)
        return await client.send(request, stream=True)

    responses = await asyncio.gather(*(one() for _ in range(count)))
    return [r.status_code for r in responses], client, responses


def test_progress_streams_are_capped_per_user_and_given_back(
    api_server: tuple[str, str], reader_token: str
) -> None:
    from bluelabel.config import get_settings

    base, _ = api_server
    cap = get_settings().progress_streams_per_user  # the API server's too: no override here
    token = api_login(base, "admin", "test-password")
    url = f"{base}/bluelabel/api/progress"

    async def scenario() -> None:
        statuses, client, responses = await _open_streams(url, token, cap + 3)
        try:
            assert sorted(statuses) == [200] * cap + [429] * 3
            refused = next(r for r in responses if r.status_code == 429)
            assert "progress_streams_per_user" in (await refused.aread()).decode()
            # another user is not held back by this one's streams
            others, other_client, other_responses = await _open_streams(url, reader_token, 1)
            assert others == [200]
            for response in other_responses:
                await response.aclose()
            await other_client.aclose()
            # closing one gives its slot back at once
            await next(r for r in responses if r.status_code == 200).aclose()
            again = await client.send(client.build_request("GET", url), stream=True)
            responses.append(again)
            for _ in range(50):  # the server sees the close when its next send fails or
                if again.status_code == 200:  # its disconnect listener wakes: soon
                    break
                await again.aclose()
                await asyncio.sleep(0.1)
                again = await client.send(client.build_request("GET", url), stream=True)
                responses.append(again)
            assert again.status_code == 200
        finally:
            for response in responses:
                await response.aclose()
            await client.aclose()
        # all closed: the whole allowance again
        deadline = time.monotonic() + 10
        while True:
            statuses, client, responses = await _open_streams(url, token, cap)
            for response in responses:
                await response.aclose()
            await client.aclose()
            if statuses == [200] * cap or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert statuses == [200] * cap

    asyncio.run(scenario())


def test_digests_follow_the_dags_of_the_runs_that_made_them(
    api_server: tuple[str, str], reader_token: str, progress_run: Any
) -> None:
    """The catalog records who made each digest: a run's digest is for who may read its DAG;
    a periodic digest for who may read every DAG it covers and no document from outside
    Airflow; one made outside Airflow, or whose maker is not recorded, for who may read every
    DAG (the leak was every DAG's digests in the list and by name)."""
    from bluelabel.config import get_settings
    from bluelabel.store import KnowledgeStore
    from bluelabel.store.records import RunRef

    base, admin = api_server
    assert progress_run.dag_id == READER_DAG  # the reader's DAG exists: they may read it
    store = KnowledgeStore(get_settings().store)
    mine, other = RunRef(READER_DAG, "manual__digests", "digest"), RunRef("x_dag", "r", "t")
    made = {  # stem -> (who, what it covers, whether the reader may read it)
        "29990101T000001-reader0run": ("digest", mine, (), False, True),
        "29990101T000002-other0run0": ("digest", other, (), False, False),
        "29990101T000003-cli0000000": ("digest", None, (), False, False),
        "29990101T000004-periodic01": ("periodic", mine, (READER_DAG,), False, True),
        "29990101T000005-periodic02": ("periodic", mine, (READER_DAG, "x_dag"), False, False),
        "29990101T000006-periodic03": ("periodic", mine, (READER_DAG,), True, False),
        "29990101T000007-unknown000": None,
    }
    for stem, owner in made.items():
        store.write_digest(f"{stem}.html", f"<p>{stem}</p>")
        if owner is not None:
            kind, run, covered, unattributed, _ = owner
            store.catalog.add_digest(
                stem, kind=kind, run=run, covered_dag_ids=covered, unattributed=unattributed
            )
    readable = {stem for stem, owner in made.items() if owner is not None and owner[-1]}

    def listed(token: str) -> set[str]:
        status, _, body = http_get(f"{base}/bluelabel/api/digests", token)
        assert status == 200, body
        return {f["name"].rsplit(".", 1)[0] for f in json.loads(body) if f["folder"] == "store"}

    # the API caches what a user may read for a few seconds (asked before the DAG existed)
    seen = eventually(lambda: listed(reader_token), lambda found: readable <= found)
    assert seen & set(made) == readable
    assert set(made) <= listed(admin)
    for stem in made:
        page = f"{base}/bluelabel/api/digests/store/{stem}.html"
        assert http_get(page, admin)[0] == 200
        assert http_get(page, reader_token)[0] == (200 if stem in readable else 404), stem


def test_a_user_limited_to_one_dag_sees_only_the_documents_its_runs_ingested(
    api_server: tuple[str, str], reader_token: str, documents: dict[str, str], progress_run: Any
) -> None:
    """Documents follow the DAGs of the runs that ingested them (the catalog's provenance);
    those ingested outside Airflow (the fixture's, like the CLI's) need every DAG."""
    from bluelabel.config import get_settings
    from bluelabel.store import KnowledgeStore
    from bluelabel.store.records import RunRef

    base, admin = api_server
    assert progress_run.dag_id == READER_DAG  # the reader's DAG exists: they may read it
    store = KnowledgeStore(get_settings().store)
    mine, other = documents["Glacier survey"], documents["Orchard pruning"]
    store.note_ingest(mine, RunRef(READER_DAG, "manual__documents", "ingest"))
    store.note_ingest(other, RunRef("some_other_dag", "manual__documents", "ingest"))

    def listed(token: str, **query: Any) -> set[str]:
        url = f"{base}/bluelabel/api/documents?{urllib.parse.urlencode({**query, 'limit': 100})}"
        status, _, body = http_get(url, token)
        assert status == 200, body
        return {item["content_id"] for item in json.loads(body)["items"]}

    # the API caches what a user may read for a few seconds (asked before the DAG existed:
    # nothing); the session's other runs of READER_DAG may add their documents
    seen = eventually(lambda: listed(reader_token), lambda found: mine in found)
    assert mine in seen and other not in seen and documents["Violin making"] not in seen
    assert all(
        READER_DAG in {p["dag_id"] for p in store.provenance(content_id)} for content_id in seen
    )
    assert listed(reader_token, q="glacier moraine") == {mine}
    assert listed(reader_token, q="orchard") == set()
    assert set(documents.values()) <= listed(admin)
    status, _, body = http_get(f"{base}/bluelabel/api/documents/facets", reader_token)
    assert status == 200 and sum(json.loads(body)["types"].values()) == len(seen)
    detail = f"{base}/bluelabel/api/documents/"
    assert http_get(detail + mine, reader_token)[0] == 200
    for hidden in (other, documents["Violin making"]):  # another DAG's; the CLI's
        assert http_get(detail + hidden, reader_token)[0] == 404
        assert http_get(detail + hidden, admin)[0] == 200
