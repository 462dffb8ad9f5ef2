"""Digests as HTML: the one a DAG run produced (``/api/runs/{dag_id}/{run_id}/digest``) and the
files in the store's ``digests/`` and the outbox (``/api/digests``).

The HTML is the digest renderer's own file (the task result's ``html_path``); this module only
finds and serves it. A path from a task result is only read below the knowledge store or the
outbox: a result in XCom is written by DAG code, and must not make the API server serve any
file it can read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from bluelabel.config import get_settings
from bluelabel.locations import is_allowed, parse_root
from bluelabel.render.digest import FORMAT_SUFFIX, digest_head
from bluelabel.store import storage_path
from bluelabel.web.deps import (
    CachedUserDep,
    DagAccessEntity,
    SessionDep,
    WebsiteAccess,
    requires_access_dag,
)
from bluelabel.web.digest_access import visible
from bluelabel.web.digest_pages import DIGEST_HEADERS, DOWNLOADS, as_html, attachment

router = APIRouter()

#: A digest file larger than this is not served (the renderer's files are far smaller).
MAX_DIGEST_BYTES = 20 * 1024 * 1024
_SUFFIX_FORMAT = {".html": "html", ".md": "markdown", ".json": "json"}


def _roots() -> dict[str, str]:
    return {
        "store": str(storage_path(get_settings().store) / "digests"),
        "outbox": get_settings().outbox,
    }


def _inside_roots(location: str) -> bool:
    """A digest path from a task result lies below the store's digests or the outbox (the
    location policy, :mod:`bluelabel.locations`, with those two as its roots)."""
    roots = []
    for root in _roots().values():
        try:
            roots.append(parse_root(root))
        except ValueError:
            continue
    return is_allowed(location, roots)


def _read(location: str) -> str:
    try:
        with storage_path(location).open("rb") as handle:
            data: bytes = handle.read(MAX_DIGEST_BYTES + 1)
    except FileNotFoundError:
        raise HTTPException(404, f"the digest file {location} is gone") from None
    except (OSError, ValueError) as exc:  # a folder, no permission, a NUL in a task's result
        raise HTTPException(404, f"the digest file {location!r} cannot be read: {exc}") from None
    if len(data) > MAX_DIGEST_BYTES:
        raise HTTPException(413, f"the digest file {location} is over {MAX_DIGEST_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def _page(text: str, fmt: str, title: str) -> HTMLResponse:
    return HTMLResponse(as_html(text, fmt, title), headers=DIGEST_HEADERS)


class RunDigest(BaseModel):
    """A digest one task of a run published."""

    task_id: str
    map_index: int
    format: str
    """The format of ``location``: the page shown (HTML when there is one)."""
    location: str
    files: dict[str, str] = {}
    """Format (``markdown``, ``html``, ``json``) -> its file: the downloads this digest offers."""


def _files(value: dict[str, Any]) -> dict[str, str]:
    """Format -> file of a digest task's result: its ``paths`` (every format it published),
    else (a result from before downloads) its ``digest_path`` and ``html_path``."""
    paths = value.get("paths")
    files = (
        {str(k): v for k, v in paths.items() if isinstance(v, str) and v}
        if isinstance(paths, dict)
        else {}
    )
    digest_path, fmt = value.get("digest_path"), value.get("format")
    if isinstance(digest_path, str) and digest_path and isinstance(fmt, str):
        files.setdefault(fmt, digest_path)
    if isinstance(value.get("html_path"), str) and value["html_path"]:
        files.setdefault("html", value["html_path"])
    return {k: v for k, v in files.items() if k in ("markdown", "html", "json")}


def _run_digests(session: Any, dag_id: str, run_id: str, task_id: str | None) -> list[RunDigest]:
    """The digests a run's tasks reported in their results, newest first."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    query = (
        select(XComModel)
        .where(
            XComModel.dag_id == dag_id,
            XComModel.run_id == run_id,
            XComModel.key == "return_value",
        )
        .order_by(XComModel.timestamp.desc())
    )
    if task_id:
        query = query.where(XComModel.task_id == task_id)
    found = []
    for row in session.scalars(query):
        value = XComModel.deserialize_value(row)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if not isinstance(value, dict):
            continue
        files = _files(value)
        if not files:
            continue
        fmt = "html" if "html" in files else next(iter(files))
        found.append(
            RunDigest(
                task_id=row.task_id,
                map_index=row.map_index,
                format=fmt,
                location=files[fmt],
                files=files,
            )
        )
    return found


_RUN_ACCESS = [Depends(requires_access_dag("GET", DagAccessEntity.XCOM))]


@router.get("/api/runs/{dag_id}/{run_id}/digests", dependencies=_RUN_ACCESS)
def run_digests(
    dag_id: str, run_id: str, session: SessionDep, task_id: str | None = Query(None)
) -> list[RunDigest]:
    """Which digests this run produced (task, the files of each format)."""
    return _run_digests(session, dag_id, run_id, task_id)


@router.get(
    "/api/runs/{dag_id}/{run_id}/digest",
    dependencies=_RUN_ACCESS,
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "The digest page; with ``format``, the file as an attachment.",
            "content": {
                "text/html": {},
                "text/markdown": {},
                "application/json": {},
            },
        },
        404: {"description": "no digest (in that format)"},
    },
)
def run_digest(
    dag_id: str,
    run_id: str,
    session: SessionDep,
    task_id: str | None = Query(None, description="the digest of this task (default: newest)"),
    map_index: int | None = Query(None),
    format: Literal["md", "html", "json"] | None = Query(
        None, description="download the digest in this format (Content-Disposition: attachment)"
    ),
) -> Response:
    """The run's digest as an HTML page (the newest, or that of ``task_id``), or with
    ``format`` its file in that format as a download."""
    digests = [
        d
        for d in _run_digests(session, dag_id, run_id, task_id)
        if map_index is None or d.map_index == map_index
    ]
    which = f"task {task_id!r} of " if task_id else ""
    if not digests:
        raise HTTPException(
            404,
            f"{which}run {run_id!r} of DAG {dag_id!r} produced no digest "
            "(no task result with html_path or digest_path)",
        )
    digest = digests[0]
    if format is None:
        location = _servable(digest.location, digest.task_id)
        return _page(_read(location), digest.format, f"Digest of {dag_id} / {run_id}")
    fmt, media_type, suffix = DOWNLOADS[format]
    if fmt not in digest.files:
        raise HTTPException(
            404,
            f"the digest of task {digest.task_id!r} of run {run_id!r} was not published as "
            f"{fmt} (it has: {', '.join(sorted(digest.files))}); a run made since this version "
            "publishes all three",
        )
    data = _read(_servable(digest.files[fmt], digest.task_id)).encode("utf-8")
    name = f"{dag_id}-{run_id}-{digest.task_id}" + (
        f"-{digest.map_index}" if digest.map_index >= 0 else ""
    )
    return Response(
        data,
        media_type=media_type,
        headers={**DIGEST_HEADERS, "Content-Disposition": attachment(f"{name}.{suffix}")},
    )


def _servable(location: str, task_id: str) -> str:
    if not _inside_roots(location):
        raise HTTPException(
            403,
            f"the digest of task {task_id!r} is at {location}, outside the knowledge store "
            "and the outbox; it is not served",
        )
    return location


class DigestFile(BaseModel):
    """One digest of the store or the outbox: the file the list opens (HTML when there is one),
    every format it was published in, and what its JSON says it is."""

    folder: str
    """``store`` (the store's ``digests/``) or ``outbox`` (the periodic digest's)."""
    name: str
    format: str
    bytes: int | None
    files: dict[str, str] = {}
    """Format (``markdown``, ``html``, ``json``) -> file name: the downloads it offers."""
    title: str | None = None
    generated_at: str | None = None
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    documents: int | None = None
    """How many documents it covers (a periodic digest: the period's, summarised or not)."""
    failed: int = 0
    """How many files or messages of its run could not be read."""


#: At most this many digest files are listed (the newest, by name: names start with a time).
MAX_LISTED = 500


@router.get("/api/digests", dependencies=[WebsiteAccess])
def list_digests(user: CachedUserDep) -> list[DigestFile]:
    """The digests of the store and the outbox this user may read, newest first: one entry per
    digest (its files of every format together), with its title, time, run and counts."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for folder, root in _roots().items():
        try:
            entries: list[Any] = list(storage_path(root).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            stem, suffix = Path(entry.name).stem, Path(entry.name).suffix
            fmt = _SUFFIX_FORMAT.get(suffix)
            if fmt is None or entry.name.startswith("."):
                continue
            groups.setdefault((folder, stem), {})[fmt] = entry
    ordered = sorted(groups.items(), key=lambda g: _sortable(g[0][1]), reverse=True)
    # one permission lookup per digest (not per file), newest first, until the page is full
    shown: list[DigestFile] = []
    for (folder, stem), files in ordered:
        if len(shown) >= MAX_LISTED:
            break
        if visible(user, stem):
            shown.append(_described(folder, files))
    return shown


#: The JSON head (title, time, run, counts) is read from at most this much of the file.
HEAD_BYTES = 64 * 1024


def _described(folder: str, files: dict[str, Any]) -> DigestFile:
    fmt = next(f for f in ("html", "markdown", "json") if f in files)
    shown = files[fmt]
    digest = DigestFile(
        folder=folder,
        name=shown.name,
        format=fmt,
        bytes=shown.stat().st_size if isinstance(shown, Path) else None,
        files={f: entry.name for f, entry in files.items()},
    )
    head = None
    if "json" in files:
        try:
            with files["json"].open("rb") as handle:
                head = digest_head(handle.read(HEAD_BYTES).decode("utf-8", errors="replace"))
        except OSError:
            head = None
    if head is None:
        return digest
    run: dict[str, Any] = head["run"] if isinstance(head.get("run"), dict) else {}
    count = head.get("document_count", head.get("count"))
    failed = head.get("failed")
    return digest.model_copy(
        update={
            "title": str(head["title"]) if head.get("title") else None,
            "generated_at": str(head["generated_at"]) if head.get("generated_at") else None,
            "dag_id": run.get("dag_id"),
            "run_id": run.get("run_id"),
            "task_id": run.get("task_id"),
            "documents": count if isinstance(count, int) else None,
            "failed": len(failed) if isinstance(failed, list) else 0,
        }
    )


def _sortable(name: str) -> str:
    # store: 20250101T120000-<hash>.md; outbox: digest-20250101-20250108T120000.md
    return name.removeprefix("digest-")


@router.get(
    "/api/digests/{folder}/{name}",
    dependencies=[WebsiteAccess],
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "The digest as a page; with ``download``, the file as an attachment.",
            "content": {"text/html": {}, "text/markdown": {}, "application/json": {}},
        },
        404: {"description": "no such digest, or not one this user may read"},
    },
)
def get_digest(
    user: CachedUserDep,
    folder: str,
    name: str,
    download: bool = Query(False, description="the file itself, as an attachment"),
) -> Response:
    """One digest file as an HTML page (markdown rendered), or with ``download`` the file as
    it is (404 for one this user may not read, as for none)."""
    roots = _roots()
    fmt = _SUFFIX_FORMAT.get(Path(name).suffix)
    if folder not in roots or fmt is None or "/" in name or name.startswith("."):
        raise HTTPException(404, f"no digest {folder}/{name}")
    if not visible(user, Path(name).stem):
        raise HTTPException(404, f"no digest {folder}/{name}")
    text = _read(str(storage_path(roots[folder]) / name))
    if not download:
        return _page(text, fmt, name)
    _, media_type, _ = DOWNLOADS[FORMAT_SUFFIX[fmt]]
    return Response(
        text.encode("utf-8"),
        media_type=media_type,
        headers={**DIGEST_HEADERS, "Content-Disposition": attachment(name)},
    )
