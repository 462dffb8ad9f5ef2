"""Local files as untrusted input: resolved, kept inside the allowed roots, regular files only.

A path is resolved (symlinks followed) before the roots are checked, so a link inside a root
that points outside it is refused; a FIFO, socket or device is refused before anything opens
it (opening a FIFO blocks until a writer comes); and a file is opened without following links,
its identity checked against what was checked, so a swap between check and open is caught.
Errors never quote the file's content.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from bluelabel.errors import IngestError, LimitExceeded
from bluelabel.locations import Root, check_location, shown

_HASH_BLOCK = 1 << 20
_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}


@dataclass(frozen=True)
class LocalFile:
    """A checked regular file: where it is, how big, and which inode was checked."""

    path: Path
    size: int
    device: int
    inode: int

    def open(self) -> BinaryIO:
        """Open for reading without following links; refuse if it is no longer that file."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.path, flags | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise IngestError(str(self.path), f"cannot open file: {exc.strerror}") from None
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != (self.device, self.inode) or not stat.S_ISREG(
            info.st_mode
        ):
            os.close(fd)
            raise IngestError(str(self.path), "the file changed while it was being opened")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")


def resolve_in_roots(
    raw: str | os.PathLike[str], *, base_dir: Path | None, roots: Sequence[Root] | None
) -> Path:
    """``raw`` resolved (relative to ``base_dir``); refused when outside ``roots`` (the
    location policy, :mod:`bluelabel.locations`) or when it names no local file."""
    location = check_location(raw, roots=roots, base_dir=base_dir, what="file")
    if not isinstance(location, Path):
        raise IngestError(
            shown(raw), "a file path must name a local file; give a URL as the source's url"
        )
    return location


def check_regular_file(path: Path, source: str | None = None) -> LocalFile:
    """The :class:`LocalFile` at ``path``; a clear permanent error for anything else."""
    name = source or str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise IngestError(name, "file not found") from None
    except NotADirectoryError:
        raise IngestError(name, "file not found (a parent is not a folder)") from None
    except (OSError, ValueError) as exc:  # ENAMETOOLONG, a NUL byte
        raise IngestError(
            name[:200], f"cannot read file: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise IngestError(name, f"not a regular file: it is {kind}")
    return LocalFile(path, info.st_size, info.st_dev, info.st_ino)


def local_file(
    raw: str | os.PathLike[str], *, base_dir: Path | None, roots: Sequence[Root] | None
) -> LocalFile:
    """Resolve, check the roots, check it is a regular file: one call for every source."""
    return check_regular_file(resolve_in_roots(raw, base_dir=base_dir, roots=roots), str(raw))


@contextlib.contextmanager
def object_file(
    source: Any, *, max_bytes: int | None, setting: str = "max_pdf_bytes"
) -> Iterator[LocalFile]:
    """An object-store file (an ``ObjectStoragePath``) as a checked local file: a temporary
    copy of at most ``max_bytes`` (the ``[bluelabel]`` ``setting``), removed afterwards."""
    fd, tmp = tempfile.mkstemp(prefix="bluelabel-object-", suffix=PurePosixPath(source.name).suffix)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            copied = 0
            while block := src.read(1 << 20):
                copied += len(block)
                if max_bytes is not None and copied > max_bytes:
                    raise LimitExceeded(
                        str(source),
                        f"over the {max_bytes:,}-byte limit for one document",
                        setting=setting,
                    )
                out.write(block)
        yield check_regular_file(Path(tmp), str(source))
    finally:
        Path(tmp).unlink(missing_ok=True)


def content_id_of_file(file: LocalFile, kind: str) -> str:
    digest = hashlib.sha256(kind.encode() + b"\0")
    with file.open() as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()[:32]


def content_id_of_text(text: str, kind: str = "text") -> str:
    return hashlib.sha256(kind.encode() + b"\0" + text.encode("utf-8")).hexdigest()[:32]


# Magic numbers of common binary formats, to say what a refused "text" really is.
_MAGIC = (
    (b"%PDF-", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a ZIP archive (or a DOCX/XLSX/ODT document)"),
    (b"\x7fELF", "an executable"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ", "xz-compressed data"),
    (b"RIFF", "a RIFF media file"),
)


def binary_kind(head: bytes) -> str | None:
    """What ``head`` (the first bytes of a document) is if it is not text, else ``None``."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if b"\x00" in head:
        return "binary data (it contains NUL bytes)"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.05:
        return "binary data (control characters)"
    return None
