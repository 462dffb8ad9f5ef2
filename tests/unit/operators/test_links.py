"""The extra links read the result the operator returned in the same process, so a finishing
task does not ask the API server for its own XCom again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bluelabel.operators import links
from bluelabel.operators.links import DigestLink, SourceDocumentLink


def ti(try_number: int = 1, map_index: int = -1) -> Any:
    return SimpleNamespace(
        dag_id="d", run_id="r", task_id="t", map_index=map_index, try_number=try_number
    )


def test_links_come_from_the_returned_result() -> None:
    links.remember(ti(), {"source": "https://example.org/a", "html_path": "/store/x.html"})
    operator: Any = None
    assert SourceDocumentLink().get_link(operator, ti_key=ti()) == "https://example.org/a"
    assert "bluelabel-task-digest" in DigestLink().get_link(operator, ti_key=ti())


def test_a_result_without_a_url_or_digest_gives_no_link() -> None:
    links.remember(ti(), {"source": "/inbox/a.pdf"})
    assert SourceDocumentLink().get_link(None, ti_key=ti()) == ""  # type: ignore[arg-type]
    assert DigestLink().get_link(None, ti_key=ti()) == ""  # type: ignore[arg-type]
    links.remember(ti(), ["a", "b"])  # a mapped step returns the list it expands over
    assert DigestLink().get_link(None, ti_key=ti()) == ""  # type: ignore[arg-type]


def test_another_try_is_not_answered_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the try that returned the value is answered from memory; any other asks XCom."""
    from airflow.sdk.execution_time.xcom import XCom

    asked: list[Any] = []

    def get_value(*, ti_key: Any, key: str) -> Any:
        asked.append((ti_key.try_number, key))
        return {"source": "https://example.org/from-xcom"}

    monkeypatch.setattr(XCom, "get_value", get_value)
    links.remember(ti(try_number=1), {"source": "https://example.org/first"})
    assert SourceDocumentLink().get_link(None, ti_key=ti(try_number=2)) == (  # type: ignore[arg-type]
        "https://example.org/from-xcom"
    )
    assert asked == [(2, "return_value")]
