"""Hostile input, as an attacker or a careless user would give it: every case asserts the
exit status, the one-line message, and the time and memory the whole ingest took.

Memory is measured for the ingest's processes together: the command runs in a small wrapper
process that reports its own peak (VmHWM) plus the largest child's (the extraction worker);
every case here uses one worker at a time, so that sum bounds the ingest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.hostile import decompression_bomb_pdf
from devtools.waiting import wait_until

MEMORY_BOUND_MB = 512


def worker_processes(parent: int | None = None) -> list[int]:
    """Live PDF extraction workers (of ``parent``, when given)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if b"bluelabel.agents.sandbox.worker" not in cmdline:
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        mark = f"BLUELABEL_WORKER_PARENT={parent}".encode()
        if parent is None or mark in environ:
            found.append(int(entry.name))
    return found


def wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    """The processes of ``pids`` still alive after at most ``timeout`` seconds."""

    def alive() -> list[int]:
        return [p for p in pids if Path(f"/proc/{p}").exists()]

    with contextlib.suppress(AssertionError):  # the caller asserts on what is left
        wait_until(lambda: not alive(), timeout=timeout, interval=0.1, what="processes gone")
    return alive()


def staging_files(store: Path) -> list[Path]:
    return sorted((store / "tmp").glob(".staging-*")) if (store / "tmp").exists() else []


@pytest.fixture(scope="session")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Decompression bombs of 1 GiB each (twice the memory bound), built once."""
    folder = tmp_path_factory.mktemp("bombs")
    made = {
        "zeros": decompression_bomb_pdf(1 << 30),
        "text": decompression_bomb_pdf(1 << 30, text=True),
        "reused": decompression_bomb_pdf(1 << 30, pages=4),  # one stream, four pages: 4 GiB
    }
    paths = {}
    for name, data in made.items():
        assert len(data) < 16_000, (name, len(data))  # kilobytes that inflate to gigabytes
        paths[name] = folder / f"{name}.pdf"
        paths[name].write_bytes(data)
    return paths


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "store"
    yield folder
