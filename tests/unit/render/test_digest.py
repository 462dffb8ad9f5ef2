"""The digest renderer's JSON head: what the Digests list reads without the items."""

from __future__ import annotations

import json

from bluelabel.render.digest import DigestItem, digest_head, render_digest


def _item(n: int) -> DigestItem:
    return DigestItem(
        content_id=f"id{n}",
        title=f'Title "{n}"\n  "items": [',  # what would fool a naive reader of the head
        source=f"/in/{n}.txt",
        date="2026-12-07T12:00:00+00:00",
        content_type="text",
        length=10 * n,
        summary='A summary.\n  "items": []',
    )


def test_the_head_holds_title_time_run_and_failures_without_the_items() -> None:
    run = {"dag_id": "batch_ingestion", "run_id": "manual__1", "task_id": "batch_digest"}
    failed = [{"source": "/in/x.pdf", "reason": "not a PDF"}]
    text = render_digest(
        [_item(n) for n in range(3)],
        "json",
        title="Batch digest",
        generated_at="2026-12-07T12:00:00+00:00",
        failed=failed,
        run=run,
    )
    head = digest_head(text)
    assert head == {
        "title": "Batch digest",
        "generated_at": "2026-12-07T12:00:00+00:00",
        "run": run,
        "failed": failed,
        "count": 3,
    }
    assert digest_head(text[: text.index('"items"') + 40]) == head  # the beginning is enough
    assert json.loads(text)["items"][2]["content_id"] == "id2"


def test_a_head_that_is_not_a_digest_is_none() -> None:
    assert digest_head("not json") is None
    assert digest_head('["a list"]') is None
    assert digest_head('{"title": "x", "count": 0, "items": []}') == {
        "title": "x",
        "count": 0,
        "items": [],
    }
