"""The core reaches Airflow only through ports: without them it says what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluelabel.ports import PORTS, PortMissing
from bluelabel.store import storage_path


def test_a_url_without_the_airflow_port_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PORTS, "remote_path", None)
    with pytest.raises(PortMissing, match=r"^an object-store URL \(s3://...\) is opened through"):
        storage_path("s3://bucket/store")
    assert storage_path("/tmp/store") == Path("/tmp/store")  # local paths need no port


def test_a_plugged_in_port_is_what_the_core_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(PORTS, "remote_path", lambda url: opened.append(url) or Path("/x"))
    assert storage_path("memory://bucket/store") == Path("/x")
    assert opened == ["memory://bucket/store"]
