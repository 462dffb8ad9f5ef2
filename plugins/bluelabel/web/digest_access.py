"""Who may read a published digest (``/api/digests``): the catalog's ``bluelabel_digests``
table says who made it and what it covers, and Airflow's DAG permissions decide. A run's
own digest (``/api/runs/...``) follows its DAG's XCom permission instead (digest_routes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bluelabel.errors import StoreError
from bluelabel.web.deps import readable_dag_ids, reads_every_dag
from bluelabel.web.documents_routes import knowledge_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestInfo:
    """Who made a digest and what it covers (the catalog's ``digests`` table)."""

    kind: str  # "digest" or "periodic"
    dag_id: str | None  # None: made outside Airflow (the CLI)
    covered_dag_ids: frozenset[str]
    unattributed: bool  # it shows a document ingested outside Airflow


def digest_owner(name: str) -> DigestInfo | None:
    """Who made the digest whose file stem is ``name`` and what it covers, from the catalog's
    ``bluelabel_digests`` table (the digest agents record it when they publish); ``None``
    when it is not recorded (a digest of an older version, a catalog that could not be
    written): only users who may read every DAG see those."""
    try:
        row = knowledge_store().catalog.digest(name)
    except StoreError:
        log.warning("bluelabel: the catalog could not say who made digest %s", name)
        return None
    if row is None:
        return None
    return DigestInfo(
        kind=row["kind"],
        dag_id=row["dag_id"],
        covered_dag_ids=row["covered_dag_ids"],
        unattributed=row["unattributed"],
    )


def may_read(info: DigestInfo | None, user: Any) -> bool:
    """A run's digest: its DAG; a periodic digest: every DAG it covers, and no document from
    outside Airflow; a digest made outside Airflow, or one not known: every DAG."""
    if reads_every_dag(user):
        return True
    if info is None or info.dag_id is None or info.unattributed:
        return False
    readable = readable_dag_ids(user)
    if info.kind == "periodic":
        return info.dag_id in readable and info.covered_dag_ids <= readable
    return info.dag_id in readable


def visible(user: Any, stem: str) -> bool:
    """Whether this user may read the digest whose files are named ``stem``.<suffix> (one
    catalog lookup, and none for a user who may read every DAG)."""
    return reads_every_dag(user) or may_read(digest_owner(stem), user)
