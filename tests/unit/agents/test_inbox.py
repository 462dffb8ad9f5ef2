"""The inbox agent and inbox items on a real folder and through ObjectStoragePath: listing,
filing away, quarantine with reasons, skipping known content, and bad inboxes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.inbox import Inbox
from bluelabel.errors import IngestError
from bluelabel.store import KnowledgeStore
from devtools.samples import fill_inbox
from tests.conftest import run_agent


def scan(context: AgentContext, inbox: Path | str, **config: object) -> dict:
    return run_agent("inbox", AgentInput(config={"inbox": str(inbox), **config}), context)


def ingest(context: AgentContext, item: dict) -> dict:
    return run_agent("ingestion", AgentInput.from_dict(item), context)


def test_scan_lists_supported_files_oldest_first_and_quarantines_the_rest(
    context: AgentContext, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    good, _ = fill_inbox(folder, 4)
    for age, name in enumerate(reversed(good)):
        os.utime(folder / name, (time.time() - 100 - age, time.time() - 100 - age))
    (folder / "links.url").write_text("https://example.org/\n")
    (folder / ".hidden.pdf").write_bytes(b"%PDF")
    (folder / "copying.pdf.part").write_bytes(b"%PDF")
    (folder / "table.xlsx").write_bytes(b"PK")
    (folder / "sub").mkdir()
    result = scan(context, folder)
    names = [item["context"]["inbox_file"] for item in result["items"]]
    assert names[:4] == good and names[4] == "links.url"  # oldest first
    assert {i["task_type"] for i in result["items"]} == {"pdf", "text", "url"}
    assert result["quarantined"][0]["file"] == "table.xlsx"
    assert (
        "unsupported file type '.xlsx'"
        in (folder / "quarantine" / "table.xlsx.reason.txt").read_text()
    )
    assert (folder / ".hidden.pdf").exists() and (folder / "copying.pdf.part").exists()


def test_settle_time_and_batch_size(context: AgentContext, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    fill_inbox(folder, 3)
    assert scan(context, folder, settle_seconds=60)["count"] == 0  # just written
    assert scan(context, folder, max_files=2)["count"] == 2


def test_items_are_filed_away_and_known_content_is_skipped(
    context: AgentContext, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    good, _ = fill_inbox(folder, 2, corrupt=1)
    results = []
    for item in scan(context, folder)["items"]:
        try:
            results.append(ingest(context, item))
        except IngestError as exc:
            assert "broken-000.pdf" in str(exc)
    assert sorted(p.name for p in (folder / "processed").iterdir()) == sorted(good)
    assert {r["moved_to"] for r in results} == {str(folder / "processed" / n) for n in good}
    reason = (folder / "quarantine" / "broken-000.pdf.reason.txt").read_text()
    assert "truncated" in reason and "move the file back into the inbox" in reason
    # the same content dropped again (under another name) is recognised without a task
    (folder / "again.pdf").write_bytes((folder / "processed" / good[0]).read_bytes())
    (folder / "again.txt").write_bytes((folder / "processed" / good[1]).read_bytes())
    again = scan(context, folder)
    assert again["count"] == 0 and {d["file"] for d in again["duplicates"]} == {
        "again.pdf",
        "again.txt",
    }
    assert {d["content_id"] for d in again["duplicates"]} == {r["content_id"] for r in results}
    # a name filed before is kept, not overwritten
    assert len(list((folder / "processed").iterdir())) == 4


def test_missing_inbox_and_inbox_outside_the_allowed_roots(
    context: AgentContext, tmp_path: Path
) -> None:
    with pytest.raises(IngestError, match=r"no-such-inbox: the inbox does not exist"):
        scan(context, tmp_path / "no-such-inbox")
    restricted = AgentContext(store=context.store, allowed_roots=[tmp_path / "allowed"])
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(IngestError, match="outside the allowed roots"):
        scan(restricted, tmp_path / "elsewhere")


def test_an_item_whose_file_is_gone_fails_without_quarantine(
    context: AgentContext, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    fill_inbox(folder, 1)
    [item] = scan(context, folder)["items"]
    (folder / item["context"]["inbox_file"]).unlink()
    with pytest.raises(IngestError, match="no longer in the inbox"):
        ingest(context, item)
    assert not (folder / "quarantine").exists()


def test_object_storage_inbox(context: AgentContext, tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    folder = tmp_path / "remote-inbox"
    good, broken = fill_inbox(folder, 2, corrupt=1)
    inbox = Inbox(ObjectStoragePath(f"file://{folder}"))
    assert not inbox.is_local
    assert sorted(name for _, name in inbox.entries()) == sorted([*good, *broken])
    with inbox.local_file(good[0]) as local:
        assert local.path != folder / good[0]  # a temporary local copy
        assert local.path.read_bytes() == (folder / good[0]).read_bytes()
    inbox.mark_processed(good[0])
    inbox.quarantine(broken[0], "corrupt")
    assert (folder / "processed" / good[0]).exists()
    assert "reason: corrupt" in (folder / "quarantine" / f"{broken[0]}.reason.txt").read_text()


def test_url_file_with_unreachable_private_and_non_http_lines_is_quarantined(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "links.url").write_text(
        "# three bad links\nhttp://127.0.0.1:9/closed-port\nhttp://10.0.0.1/\nftp://example.org/x\n"
    )
    # private addresses refused: loopback and 10/8 alike
    strict = AgentContext(store=store, allowed_roots=[tmp_path], allow_private_urls=False)
    [item] = scan(strict, folder)["items"]
    with pytest.raises(IngestError) as failure:
        ingest(strict, item)
    reason = (folder / "quarantine" / "links.url.reason.txt").read_text()
    for line, why in ((2, "127.0.0.1"), (3, "10.0.0.1"), (4, "only http and https")):
        assert f"line {line}:" in reason and why in reason, reason
        assert f"line {line}:" in str(failure.value)
    lenient = AgentContext(store=store, allowed_roots=[tmp_path], allow_private_urls=True)
    (folder / "closed.url").write_text("http://127.0.0.1:9/closed-port\n")
    [item] = scan(lenient, folder)["items"]
    with pytest.raises(IngestError):
        ingest(lenient, item)
    assert "line 1:" in (folder / "quarantine" / "closed.url.reason.txt").read_text()


def test_a_relative_inbox_outside_the_roots_says_what_it_resolved_against(
    context: AgentContext, tmp_path: Path
) -> None:
    """The advice names the folder relative paths resolve against and the roots, instead of
    telling the user to widen allowed_roots for a path they never meant."""
    allowed = tmp_path / "allowed"
    (allowed / "mixed").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    restricted = AgentContext(store=context.store, base_dir=allowed, allowed_roots=[allowed])
    assert scan(restricted, "mixed")["inbox"] == str(allowed / "mixed")
    with pytest.raises(IngestError) as caught:
        scan(restricted, "../elsewhere")
    message = str(caught.value)
    assert (
        f"it resolves to {tmp_path / 'elsewhere'} (a relative path resolves against {allowed}), "
        f"outside the allowed roots ({allowed}"  # and the configured inbox, allowed too
    ) in message
    assert message.endswith("); write a path under one of them ([bluelabel] allowed_roots)")
    assert "add its folder" not in message
