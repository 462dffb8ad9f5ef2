"""Where a digest goes: its files under the store's ``digests/`` (one name, every format),
and who made it, in the catalog (which decides who may list and open it)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import PurePosixPath

from bluelabel.agents.inputs import AgentContext
from bluelabel.errors import StoreError
from bluelabel.render.digest import FORMAT_SUFFIX
from bluelabel.store import KnowledgeStore


def publish(
    store: KnowledgeStore, rendered: Mapping[str, str], fmt: str, warnings: list[str]
) -> dict[str, str]:
    """Save the digest in every format rendered (markdown, HTML, JSON: the API offers each as
    a download, and a few kilobytes more are cheaper than rendering again from a copy) under
    ``digests/``, one name for all; a store that cannot be written loses only the files, with
    a warning. Returns format -> where its file is."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    name = f"{stamp}-{hashlib.sha256(rendered[fmt].encode()).hexdigest()[:12]}"
    try:
        return {
            f: store.write_digest(f"{name}.{FORMAT_SUFFIX[f]}", text)
            for f, text in rendered.items()
        }
    except StoreError as exc:
        warnings.append(f"the digest was not saved: {exc}")
        return {}


def record_owner(
    context: AgentContext,
    paths: Mapping[str, str],
    warnings: list[str],
    *,
    kind: str = "digest",
    covered_dag_ids: Iterable[str] = (),
    unattributed: bool = False,
) -> None:
    """Record in the catalog who made the digest published at ``paths`` (its run: ``None``
    outside Airflow) and what it covers, which decides who may list and open it; if that
    fails, only users who may read every DAG see it, and a warning says so."""
    if not paths:
        return
    name = PurePosixPath(next(iter(paths.values()))).name.rsplit(".", 1)[0]
    try:
        context.store.catalog.add_digest(
            name,
            kind=kind,
            run=context.run,
            covered_dag_ids=covered_dag_ids,
            unattributed=unattributed,
        )
    except StoreError as exc:
        warnings.append(
            f"who made the digest was not recorded, so only users who may read every DAG "
            f"see it: {exc}"
        )
