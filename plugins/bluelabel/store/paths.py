"""Locations as paths, atomic writes, and store errors a person can act on."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from bluelabel.errors import StoreError
from bluelabel.locations import local_path_of_url, url_scheme
from bluelabel.ports import port

if TYPE_CHECKING:
    # What the remote_path port gives (Airflow's ObjectStoragePath is one), by its interface.
    from upath.extensions import ProxyUPath

    StorePath: TypeAlias = Path | ProxyUPath
else:
    StorePath = Any

#: Errors of the file system the store lives on, not of the document being read.
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM}
)


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Files are readable as the umask allows (a temporary file is created 0600; the store's
#: files, digests included, are meant to be read by others the umask lets read them).
FILE_MODE = 0o666 & ~_umask()


def storage_path(location: str | os.PathLike[str] | StorePath) -> StorePath:
    """A folder or URL as a path: plain paths and ``file://`` URLs are local ``Path``s; other
    URLs (``s3://...``) are Airflow ``ObjectStoragePath``s, imported only when used."""
    scheme = url_scheme(location) if isinstance(location, str) else None
    if scheme is not None and scheme != "file":  # what is a URL: bluelabel.locations says
        remote: StorePath = port("remote_path")(location)
        return remote
    if scheme == "file":
        return Path(local_path_of_url(str(location))).expanduser()
    if isinstance(location, (str, os.PathLike)):
        return Path(location).expanduser()
    return location


def storage_error(location: str, exc: OSError, doing: str = "write to") -> StoreError:
    """One line for a failing store: which store, what failed, and what to do."""
    reason = exc.strerror or str(exc)
    hints = {
        errno.ENOSPC: "free some space or move the store ([bluelabel] store)",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the store's file system is mounted read-only",
        errno.EACCES: "this user may not write there",
        errno.EPERM: "this user may not write there",
    }
    hint = hints.get(exc.errno or 0)
    return StoreError(
        f"cannot {doing} the knowledge store {location}: {reason}" + (f" ({hint})" if hint else ""),
        # a full disk may be freed before the next try; a read-only one will not change
        permanent=exc.errno not in (errno.ENOSPC, errno.EDQUOT),
    )


def write_atomic(target: StorePath, data: bytes, *, sync: bool = True) -> None:
    """Replace ``target`` with ``data`` in one step: readers see the old or the new bytes.

    ``sync=False``: the bytes are not forced to disk here; the caller must pass ``target`` to
    :func:`sync_files` before anything depends on it surviving a power loss (a batch of
    files synced together costs a tenth of syncing each as it is written)."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if sync:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    else:  # object stores replace an object in one PUT
        target.parent.mkdir(parents=True, exist_ok=True)  # needed by file://, no-op on s3
        with target.open("wb") as handle:
            handle.write(data)


def sync_files(paths: Sequence[Path]) -> None:
    """Force local files written with ``sync=False`` to disk (a few at a time: the file
    system commits concurrent syncs together)."""
    if not paths:
        return

    def sync(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(max_workers=min(8, len(paths))) as pool:
        list(pool.map(sync, paths))


def write_file(location: str, name: str, text: str) -> str:
    """Write ``text`` atomically as ``<location>/<name>`` (a folder or an object-store URL)."""
    target = storage_path(location) / name
    try:
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        raise storage_error(location, exc) from None
    return str(target)
