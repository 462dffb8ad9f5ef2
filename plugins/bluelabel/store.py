"""The knowledge store: documents (text + metadata) addressed by content, written atomically.

Layout below the root (a local folder, or any ``ObjectStoragePath`` URL such as ``s3://...``)::

    objects/<id[:2]>/<id>.txt     the extracted text, UTF-8
    objects/<id[:2]>/<id>.json    the document record (the commit point of a document)
    index/<time>-<id>.json        a small copy of the record, named so that names sort by time
    summaries/<id[:2]>/<id>-<key>.json   cached summaries
    runs/<YYYYMMDD>/<time>-<dag>-<task>-<n>.json   the metrics of each Bluelabel task try
    tmp/                          staging; anything here is unfinished and ignored

``runs/`` is a copy of the metrics records the listener stores in XCom: Airflow 3 workers
cannot read the metadata DB, so a task that reports on past runs (the periodic digest) reads
them here.

Queries list ``index/`` (names only), filter by the time in the name, and read just the entries
they return, so a digest of the latest 10 never reads every document.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from bluelabel.errors import StoreError

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    StorePath: TypeAlias = Path | ObjectStoragePath

STORE_ENV = "BLUELABEL_STORE"
_INDEX_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"


def default_store_location() -> str:
    """``$BLUELABEL_STORE``, else ``$AIRFLOW_HOME/bluelabel/store``, else ``~/airflow/...``."""
    if os.environ.get(STORE_ENV):
        return os.environ[STORE_ENV]
    airflow_home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return os.path.join(airflow_home, "bluelabel", "store")


@dataclass
class DocumentRecord:
    """What the store knows of a document besides its text."""

    content_id: str
    content_type: str
    source: str
    title: str | None
    content_length: int
    ingested_at: str
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    text_layer: bool = True
    page_count: int | None = None
    source_bytes: int | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentRecord:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ingested(self) -> datetime:
        return datetime.fromisoformat(self.ingested_at)


def _index_name(record: DocumentRecord) -> str:
    stamp = record.ingested.astimezone(timezone.utc).strftime(_INDEX_TIME_FORMAT)
    return f"{stamp}-{record.content_id}.json"


def _index_time(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.split("-", 1)[0], _INDEX_TIME_FORMAT).replace(
            tzinfo=timezone.utc
        )
    except ValueError:
        return None


def storage_path(location: str | os.PathLike[str] | StorePath) -> StorePath:
    """A folder or URL as a path: plain paths and ``file://`` URLs are local ``Path``s; other
    URLs (``s3://...``) are Airflow ``ObjectStoragePath``s, imported only when used."""
    if isinstance(location, str) and "://" in location and not location.startswith("file://"):
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(location)
    if isinstance(location, (str, os.PathLike)):
        return Path(str(location).removeprefix("file://")).expanduser()
    return location


def write_atomic(target: StorePath, data: bytes) -> None:
    """Replace ``target`` with ``data`` in one step: readers see the old or the new bytes."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    else:  # object stores replace an object in one PUT
        _parent(target).mkdir(parents=True, exist_ok=True)  # needed by file://, no-op on s3
        with target.open("wb") as handle:  # type: ignore[no-untyped-call]
            handle.write(data)


class KnowledgeStore:
    """Content-addressed document store. Safe for concurrent writers of the same document."""

    def __init__(self, location: str | os.PathLike[str] | StorePath | None = None) -> None:
        self.root = storage_path(default_store_location() if location is None else location)
        self.is_local = isinstance(self.root, Path)
        self.location = str(self.root)

    def __repr__(self) -> str:
        return f"KnowledgeStore({self.location!r})"

    # ----------------------------------------------------------------- paths
    def _object(self, content_id: str, suffix: str) -> StorePath:
        return self.root / "objects" / content_id[:2] / f"{content_id}{suffix}"

    def text_path(self, content_id: str) -> StorePath:
        return self._object(content_id, ".txt")

    # ----------------------------------------------------------------- writing
    @contextlib.contextmanager
    def staging_file(self) -> Iterator[Path]:
        """A local file to stream text into before :meth:`put`; removed if not consumed."""
        if isinstance(self.root, Path):
            directory = self.root / "tmp"
            directory.mkdir(parents=True, exist_ok=True)
        else:
            directory = Path(tempfile.gettempdir())
        path = directory / f".staging-{uuid.uuid4().hex}.txt"
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def _write_atomic(self, target: StorePath, data: bytes) -> None:
        write_atomic(target, data)

    def _move_in(self, staged: Path, target: StorePath) -> None:
        if isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)  # staging lives in the store: same file system
        else:
            _parent(target).mkdir(parents=True, exist_ok=True)
            with staged.open("rb") as src, target.open("wb") as dst:  # type: ignore[no-untyped-call]
                shutil.copyfileobj(src, dst, 1 << 20)

    def put(self, record: DocumentRecord, text: Path | str) -> DocumentRecord:
        """Store a document whose text is ``text`` (a staged file, consumed, or a string).

        If the document is already stored, nothing is rewritten and the stored record is
        returned: ingesting the same content twice stores it once.
        """
        existing = self.get(record.content_id)
        if existing is not None:
            self._ensure_indexed(existing)
            return existing
        try:
            target = self.text_path(record.content_id)
            if isinstance(text, Path):
                self._move_in(text, target)
            else:
                self._write_atomic(target, text.encode("utf-8"))
            # The record is the commit point; the index entry is derived and re-made if lost.
            self._write_atomic(self._object(record.content_id, ".json"), _dumps(record.to_dict()))
            self._ensure_indexed(record)
        except OSError as exc:
            raise StoreError(f"cannot write to store {self.location}: {exc}") from exc
        return record

    def _ensure_indexed(self, record: DocumentRecord) -> None:
        entry = self.root / "index" / _index_name(record)
        if not entry.exists():
            self._write_atomic(entry, _dumps(record.to_dict()))

    # ----------------------------------------------------------------- reading
    def get(self, content_id: str) -> DocumentRecord | None:
        """The record of a stored document, or ``None``."""
        path = self._object(content_id, ".json")
        try:
            return DocumentRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read record {content_id} in {self.location}: {exc}") from exc

    def has(self, content_id: str) -> bool:
        return self._object(content_id, ".json").exists()

    def read_text(self, content_id: str) -> str:
        try:
            return self.text_path(content_id).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise StoreError(f"document {content_id} is not in store {self.location}") from exc

    def query(
        self,
        *,
        limit: int | None = 10,
        since: datetime | None = None,
        until: datetime | None = None,
        tags: Sequence[str] = (),
        source_contains: str | None = None,
        content_type: str | None = None,
    ) -> list[DocumentRecord]:
        """Newest first. Reads index entry names, then only the entries it returns
        (plus those rejected by ``tags``/``source_contains``/``content_type`` filters)."""
        index = self.root / "index"
        try:
            names = sorted(
                (p.name for p in index.iterdir() if p.name.endswith(".json")), reverse=True
            )
        except _MISSING_FOLDER:
            return []
        found: list[DocumentRecord] = []
        seen: set[str] = set()
        for name in names:
            stamp = _index_time(name)
            if stamp is None:
                continue
            if until is not None and stamp > until:
                continue
            if since is not None and stamp < since:
                break  # names are sorted by time: everything after is older
            content_id = name[:-5].split("-", 1)[1]
            if content_id in seen:
                continue
            seen.add(content_id)
            record = DocumentRecord.from_dict(json.loads((index / name).read_text("utf-8")))
            if tags and not set(tags) <= set(record.tags):
                continue
            if source_contains and source_contains not in record.source:
                continue
            if content_type and record.content_type != content_type:
                continue
            found.append(record)
            if limit is not None and len(found) >= limit:
                break
        return found

    def write_digest(self, name: str, text: str) -> str:
        """Publish a rendered digest as ``digests/<name>``; return where it is."""
        target = self.root / "digests" / name
        self._write_atomic(target, text.encode("utf-8"))
        return str(target)

    # ----------------------------------------------------------------- run ledger
    def record_run(self, record: dict[str, Any]) -> None:
        """Keep one task try's metrics record (needs ``finished_at``, an ISO time)."""
        finished = datetime.fromisoformat(record["finished_at"]).astimezone(timezone.utc)
        label = "-".join(
            _safe(str(record.get(k, ""))) for k in ("dag_id", "task_id", "map_index", "try_number")
        )
        name = f"{finished.strftime(_INDEX_TIME_FORMAT)}-{label}-{uuid.uuid4().hex[:8]}.json"
        self._write_atomic(self.root / "runs" / finished.strftime("%Y%m%d") / name, _dumps(record))

    def runs(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The run records that finished in ``[since, until]``, oldest first."""
        folder = self.root / "runs"
        try:
            days = sorted(p.name for p in folder.iterdir() if p.name.isdigit())
        except _MISSING_FOLDER:
            return []
        first = since.astimezone(timezone.utc).strftime("%Y%m%d") if since else None
        last = until.astimezone(timezone.utc).strftime("%Y%m%d") if until else None
        found = []
        for day in days:
            if (first and day < first) or (last and day > last):
                continue
            entries: list[Path] = list((folder / day).iterdir())  # type: ignore[arg-type]
            for path in sorted(entries, key=lambda p: p.name):
                stamp = _index_time(path.name)
                if stamp is None or not path.name.endswith(".json"):
                    continue
                if (since and stamp < since) or (until and stamp > until):
                    continue
                try:
                    found.append(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError) as exc:  # written atomically: never half a record
                    raise StoreError(f"cannot read run record {path}: {exc}") from exc
        return found

    # ----------------------------------------------------------------- summaries cache
    def cached_summary(self, content_id: str, key: str) -> dict[str, Any] | None:
        path = self.root / "summaries" / content_id[:2] / f"{content_id}-{key}.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data

    def cache_summary(self, content_id: str, key: str, summary: dict[str, Any]) -> None:
        path = self.root / "summaries" / content_id[:2] / f"{content_id}-{key}.json"
        self._write_atomic(path, _dumps(summary))


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._" else "_" for c in text)[:80]


def write_file(location: str, name: str, text: str) -> str:
    """Write ``text`` atomically as ``<location>/<name>`` (a folder or an object-store URL)."""
    target = storage_path(location) / name
    write_atomic(target, text.encode("utf-8"))
    return str(target)


#: Listing a folder that does not exist: ``FileNotFoundError`` on a disk; on an object store
#: (universal-pathlib, e.g. an S3 prefix with no objects yet) ``NotADirectoryError``.
_MISSING_FOLDER = (FileNotFoundError, NotADirectoryError)


def _parent(path: StorePath) -> StorePath:
    return path.parent


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
