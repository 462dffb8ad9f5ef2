"""``bluelabel store check [--repair]``: find what is damaged in a store, and mend it.

Checked: every document record (valid JSON of the right shape, its text present), every index
entry (valid, pointing at a stored record), records missing from the index, cached summaries,
run records, and staging files of ingests that are gone. Repair never deletes a document's
data: damaged files are moved to ``damaged/<time>/`` (keeping their path), index entries are
re-made from the records, dangling index entries and cache files are removed (both are
derived), stale staging files are removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bluelabel.store.knowledge import KnowledgeStore, stale_staging
from bluelabel.store.paths import StorePath, write_atomic
from bluelabel.store.records import DamagedEntry, DocumentRecord, dumps


@dataclass
class Finding:
    path: str
    problem: str
    action: str = ""  # what repair did (empty: nothing, or not repairing)


@dataclass
class StoreReport:
    location: str
    documents: int = 0
    index_entries: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        out = [
            f"store {self.location}: {self.documents} document(s), "
            f"{self.index_entries} index entr{'y' if self.index_entries == 1 else 'ies'}"
        ]
        for f in self.findings:
            out.append(f"{f.path}: {f.problem}" + (f" -> {f.action}" if f.action else ""))
        out.append(
            "no problems found"
            if self.ok
            else f"{len(self.findings)} problem(s)"
            + ("" if any(f.action for f in self.findings) else "; run with --repair to mend them")
        )
        return out


def _files(folder: StorePath, suffix: str) -> list[StorePath]:
    try:
        return sorted((p for p in folder.rglob(f"*{suffix}") if p.is_file()), key=str)
    except FileNotFoundError:
        return []


def check_store(store: KnowledgeStore, *, repair: bool = False) -> StoreReport:
    report = StoreReport(store.location)
    root = store.root
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    damaged_root = root / "damaged" / stamp

    def set_aside(path: StorePath, problem: str) -> None:
        action = ""
        if repair:
            relative = str(path)[len(str(root)) :].lstrip("/")
            target = damaged_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            path.rename(target)  # type: ignore[arg-type]
            action = f"moved to {target}"
        report.findings.append(Finding(str(path), problem, action))

    def remove(path: StorePath, problem: str, action: str) -> None:
        if repair:
            path.unlink()
        report.findings.append(Finding(str(path), problem, action if repair else ""))

    records: dict[str, DocumentRecord] = {}
    for path in _files(root / "objects", ".json"):
        content_id = path.name[:-5]
        try:
            record = DocumentRecord.from_json(path.read_text(encoding="utf-8"))
        except (DamagedEntry, UnicodeDecodeError) as exc:
            set_aside(path, f"damaged record: {exc}")
            continue
        if record.content_id != content_id:
            set_aside(path, f"record of {record.content_id} stored under {content_id}")
            continue
        if not store.text_path(content_id).exists():
            set_aside(path, "record without its text (.txt missing)")
            continue
        records[content_id] = record
    report.documents = len(records)

    indexed: set[str] = set()
    index = root / "index"
    for name in store.index_names():
        path = index / name
        content_id = name[:-5].split("-", 1)[-1]
        try:
            DocumentRecord.from_json(path.read_text(encoding="utf-8"))
        except (DamagedEntry, UnicodeDecodeError) as exc:
            remove(path, f"damaged index entry: {exc}", "removed (re-made from the record)")
            continue
        if content_id not in records:
            remove(path, "index entry of a document that is not stored", "removed")
            continue
        indexed.add(content_id)
        report.index_entries += 1
    for content_id, record in sorted(records.items()):
        if content_id not in indexed:
            entry = index / record.index_name()
            if repair:
                write_atomic(entry, dumps(record.to_dict()))
                report.index_entries += 1
            report.findings.append(
                Finding(str(entry), "document missing from the index", "re-made" if repair else "")
            )

    for path in _files(root / "summaries", ".json"):
        try:
            ok = isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
        except (ValueError, UnicodeDecodeError):
            ok = False
        if not ok:
            remove(path, "damaged cached summary", "removed (recomputed when needed)")
    for path in _files(root / "runs", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            ok = isinstance(data, dict) and isinstance(data.get("finished_at"), str)
        except (ValueError, UnicodeDecodeError):
            ok = False
        if not ok:
            set_aside(path, "damaged run record")
    if isinstance(root, Path):
        for path in stale_staging(root / "tmp"):
            remove(path, "staging file of an ingest that is gone", "removed")
    return report
