"""A damaged, read-only or full store, and an ingest killed mid-way: one clean line, nothing
left behind, and `bluelabel store check [--repair]` mends what is damaged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluelabel.store import KnowledgeStore
from devtools.measure import bluelabel
from devtools.samples import build_pdf, sample_pages
from devtools.waiting import wait_until
from tests.conftest import REPO
from tests.hostile.conftest import staging_files, wait_gone, worker_processes


def _fill(store: Path, tmp_path: Path, count: int = 3) -> list[str]:
    ids = []
    for n in range(count):
        note = tmp_path / f"note-{n}.txt"
        note.write_text(f"Note number {n} on how the scheduler runs tasks in order. " * 5)
        run = bluelabel("ingest", str(note), "--store", str(store))
        assert run.code == 0, run.lines
        ids.append(json.loads(run.stdout)["content_id"])
    return ids


def test_damaged_entries_are_skipped_named_and_repaired(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ids = _fill(store, tmp_path)
    KnowledgeStore(store).catalog.remove(ids[0])  # an ingest that died after its record
    record = store / "objects" / ids[1][:2] / f"{ids[1]}.json"
    record.write_text("[1, 2, 3]")  # an object file holding a list
    digest = bluelabel("digest", "--store", str(store))
    assert digest.code == 0, digest.lines
    assert digest.stdout.startswith("# Bluelabel digest")  # stdout holds the digest alone
    assert "_2 documents, generated" in digest.stdout  # those in the catalog are digested

    check = bluelabel("store", "check", "--store", str(store))
    assert check.code == 1
    assert any(
        f"{record}: damaged record: a record must be a JSON object" in x
        for x in check.stdout.splitlines()
    )
    assert any(
        f"{ids[0]}.json: document missing from the catalog" in x for x in check.stdout.splitlines()
    )
    assert check.stdout.splitlines()[-1].endswith("run with --repair to mend them")

    repair = bluelabel("store", "check", "--repair", "--store", str(store))
    assert repair.code == 0 and "moved to" in repair.stdout
    again = bluelabel("store", "check", "--store", str(store))
    assert again.code == 0 and again.stdout.splitlines()[-1] == "no problems found"
    assert list((store / "damaged").rglob(f"{ids[1]}.json"))  # set aside, not deleted
    assert {r.content_id for r in KnowledgeStore(store).query()} == {ids[0], ids[2]}


def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return (
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)]).returncode == 0
    )


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system (tmpfs): skipped, saying why, where mounting is not allowed."""
    mount = tmp_path / "small"
    if not _mount_tmpfs(mount, "size=2m"):
        pytest.skip("cannot mount a tmpfs here (needs CAP_SYS_ADMIN) for the full-disk case")
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def test_a_full_disk_is_one_line_and_leaves_nothing(small_fs: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "big.pdf"
    pdf.write_bytes(build_pdf(sample_pages(400)))  # ~1 MB of text in 2 MB, with its parts
    filler = small_fs / "filler"
    filler.write_bytes(b"x" * (2 * 1024 * 1024 - 120_000))
    store = small_fs / "store"
    run = bluelabel("ingest", str(pdf), "--store", str(store))
    assert run.code == 1
    assert "No space left on device" in run.error and f"knowledge store {store}" in run.error
    assert staging_files(store) == []
    assert not (store / "objects").exists() or not list((store / "objects").rglob("*"))


def test_a_read_only_store_is_one_line(small_fs: Path, tmp_path: Path) -> None:
    store = small_fs / "store"
    _fill(store, tmp_path, 1)
    assert subprocess.run(["mount", "-o", "remount,ro", str(small_fs)]).returncode == 0
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(build_pdf(sample_pages(2)))
    run = bluelabel("ingest", str(pdf), "--store", str(store))
    assert run.code == 1 and "Read-only file system" in run.error and "read-only" in run.error
    digest = bluelabel("digest", "--store", str(store))
    assert digest.code == 0 and "Note number 0" in digest.stdout  # still read and shown
    assert any("the digest was not saved" in line for line in digest.lines)


KILLED = """
import sys
from bluelabel.cli import main
sys.exit(main(["ingest", sys.argv[1], "--store", sys.argv[2], "--workers", "2"]))
"""


def test_a_killed_ingest_leaves_no_worker_and_its_staging_is_swept(tmp_path: Path) -> None:
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(build_pdf(sample_pages(3000)))
    store = tmp_path / "store"
    process = subprocess.Popen([sys.executable, "-c", KILLED, str(pdf), str(store)], cwd=REPO)

    def extracting() -> bool:
        assert process.poll() is None, "the ingest ended before it could be killed"
        return bool(staging_files(store) and worker_processes(process.pid))

    wait_until(extracting, timeout=60, interval=0.02, what="the extraction started")
    workers = worker_processes(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert wait_gone(workers) == []  # the extraction workers died with it
    assert staging_files(store)  # its unfinished work is still there ...
    note = tmp_path / "next.txt"
    note.write_text("The next ingest into the same store sweeps what the killed one left.")
    assert bluelabel("ingest", str(note), "--store", str(store)).code == 0
    assert staging_files(store) == []  # ... until the next ingest sweeps it
    (entry,) = KnowledgeStore(store).query()  # only the note: nothing half-stored
    assert entry.title == "next"
