"""``bluelabel store check [--repair]``: find what is damaged in a store, and mend it.

Checked: every document record (valid JSON of the right shape, its text present), the catalog
against the records (a record without its row: an ingest that died between the two; a row
without its record), cached summaries, run records, and staging files of ingests that are
gone. Repair never deletes a document's data: damaged files are moved to ``damaged/<time>/``
(keeping their path), missing catalog rows are added from the records, rows of documents that
are not stored and damaged cache files are removed (both are derived), stale staging files
are removed, and so is the ``index/`` folder of a store written before the catalog.

``bluelabel store reindex`` rebuilds the whole catalog from the blobs: :mod:`.reindex`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bluelabel.store.catalog import MAX_TEXT_CHARS
from bluelabel.store.knowledge import KnowledgeStore
from bluelabel.store.paths import StorePath
from bluelabel.store.records import DamagedEntry, DocumentRecord, RunRef
from bluelabel.store.staging import stale_staging


@dataclass
class Finding:
    path: str
    problem: str
    action: str = ""  # what repair did (empty: nothing, or not repairing)


@dataclass
class StoreReport:
    location: str
    documents: int = 0
    catalog_rows: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        out = [
            f"store {self.location}: {self.documents} document(s), "
            f"{self.catalog_rows} in the catalog"
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

    stored: set[str] = set()
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
        stored.add(content_id)
    report.documents = len(stored)

    catalog = store.catalog
    for content_id in catalog.ids():
        if content_id in stored:
            stored.discard(content_id)  # what is left: records without a row
            report.catalog_rows += 1
            continue
        if repair:
            catalog.remove(content_id)
        report.findings.append(
            Finding(
                f"catalog row {content_id}",
                "catalog row of a document that is not stored",
                "removed" if repair else "",
            )
        )
    for content_id in sorted(stored):
        if repair:
            _add(store, content_id)
            report.catalog_rows += 1
        report.findings.append(
            Finding(
                str(store.record_path(content_id)),
                "document missing from the catalog",
                "added" if repair else "",
            )
        )
    legacy = root / "index"
    if legacy.exists():
        if repair:
            for path in legacy.iterdir():
                path.unlink()
            legacy.rmdir()
        report.findings.append(
            Finding(
                str(legacy),
                "index folder of the store before its catalog (unused)",
                "removed" if repair else "",
            )
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


def _add(store: KnowledgeStore, content_id: str) -> None:
    record = store.get(content_id)
    if record is not None:
        store.catalog.add(record, store.read_text(content_id, max_chars=MAX_TEXT_CHARS))
        notes = store.provenance_notes(content_id)
        ingests = [(content_id, RunRef.of_note(note), note.get("at")) for note in notes]
        store.catalog.note_ingests(ingests)
