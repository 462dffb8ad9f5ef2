"""Where a run may read and write: one policy for every location a run names.

An inbox, an outbox, a knowledge store or a source given at trigger time or through a
template is untrusted. It is allowed when it is

* a local path (plain, ``file://`` or ``local://``) that resolves, symbolic links followed,
  inside a local root of ``[bluelabel] allowed_roots``; or
* a URL of any other scheme (``s3://``, ``http(s)://``, ``ftp://``, ``memory://``, ...) that
  lies under a root configured as a URL (``allowed_roots = /data:s3://bucket/inbox``),

and refused otherwise, before anything touches it. A URL lies under a URL root when its
scheme, its authority (bucket or host, with any connection id or port, compared exactly) and
the leading segments of its path are the root's, however the path is read: as written or
percent-decoded, with ``.``/``..`` collapsed or kept. Query strings, fragments, control
characters, backslashes and double percent-encoding are refused outright. What is handed back
is what was checked: the resolved local ``Path``, or the URL as given (scheme in lower case).

Airflow-free, and importing nothing of Bluelabel but its errors: the settings parse their roots
here, and the agents, the operators and the web routes check their locations here.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bluelabel.errors import LocationRefused

#: URL schemes that name the local disk: checked as the local path they name.
LOCAL_SCHEMES = frozenset({"file", "local"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: ``allowed_roots`` entries are separated by ``:`` (as ``PATH``), except the ``:`` of a
#: URL's ``://`` and of a port (``:8080/``).
_ROOT_SEPARATOR = re.compile(r":(?!//)(?!\d+(?:/|$))")
_SHOWN_CHARS = 200


@dataclass(frozen=True)
class UrlRoot:
    """A root configured as a URL: its scheme, authority and path segments."""

    scheme: str
    netloc: str
    segments: tuple[str, ...]

    def __str__(self) -> str:
        path = "/".join(self.segments)
        return f"{self.scheme}://{self.netloc}" + (f"/{path}" if path else "")


Root = Path | UrlRoot


def url_scheme(location: str | os.PathLike[str]) -> str | None:
    """The lower-case scheme of a URL (``S3://b`` -> ``s3``); ``None`` for a plain path."""
    match = _SCHEME.match(str(location)) if isinstance(location, str) else None
    return match[1].lower() if match else None


def shown(location: object) -> str:
    """A location fit for one line of a message: a URL's password hidden, control characters
    escaped, at most 200 characters."""
    text = str(location)
    if url_scheme(text):
        text = re.sub(r"^([^:]+://[^/@:]*):[^/@]*@", r"\1:***@", text)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


# ------------------------------------------------------------------------------ parsing
def _malformed(text: str) -> str | None:
    """Why a URL cannot be a location whatever its roots, or ``None``."""
    if not all(c.isprintable() for c in text + unquote(text)):
        return "it holds control characters"
    if "\\" in text or "\\" in unquote(text):
        return "it holds a backslash"
    if "?" in text or "#" in text:
        return "a location may not carry a query (?) or a fragment (#)"
    rest = text.split("://", 1)[1]
    netloc, _, path = rest.partition("/")
    if "%" in netloc:
        return "its bucket or host is percent-encoded"
    if "%" in unquote(path):
        return "its path is percent-encoded twice (or holds a stray %)"
    return None


def _segments(path: str, *, collapse: bool) -> tuple[str, ...] | None:
    """The non-empty segments of ``path``; with ``collapse``, ``.`` and ``..`` applied
    (``None`` when ``..`` climbs above the top)."""
    out: list[str] = []
    for part in path.split("/"):
        if part == "" or (collapse and part == "."):
            continue
        if collapse and part == "..":
            if not out:
                return None
            out.pop()
        else:
            out.append(part)
    return tuple(out)


def _readings(path: str) -> list[tuple[str, ...] | None]:
    """Every way a URL's path may be read: as written or decoded, collapsed or not."""
    return [_segments(p, collapse=c) for p in (path, unquote(path)) for c in (False, True)]


def local_path_of_url(text: str) -> str:
    """The path a ``file://``/``local://`` URL names, as written (``ValueError`` for a URL
    of another host)."""
    rest = text.split("://", 1)[1]
    host, slash, path = rest.partition("/")
    if host not in ("", "localhost"):
        raise ValueError(f"a {url_scheme(text)}:// URL names this machine's disk, not {host!r}")
    return slash + path


def _local_of_url(text: str) -> list[str]:
    """The local paths a ``file://``/``local://`` URL may name (as written, decoded)."""
    path = local_path_of_url(text)
    return [path, unquote(path)]


def parse_root(text: str) -> Root:
    """One ``allowed_roots`` entry: a local folder (resolved) or a :class:`UrlRoot`.
    ``ValueError`` says why an entry cannot be a root."""
    text = text.strip()
    scheme = url_scheme(text)
    if scheme is None:
        return Path(text).expanduser().resolve()
    problem = _malformed(text)
    if problem:
        raise ValueError(problem)
    if scheme in LOCAL_SCHEMES:
        literal, decoded = _local_of_url(text)
        if literal != decoded:
            raise ValueError("write a local root without percent-encoding")
        return Path(literal).resolve()
    parts = urlsplit(text)
    segments = _segments(parts.path, collapse=False)
    if segments is None or segments != _segments(parts.path, collapse=True):
        raise ValueError("a URL root may not hold '.' or '..' segments")
    if not parts.netloc:
        raise ValueError("a URL root needs a bucket or host (s3://bucket/prefix)")
    if parts.path != unquote(parts.path):
        raise ValueError("write a URL root without percent-encoding")
    return UrlRoot(scheme, parts.netloc, segments)


def parse_roots(text: str) -> tuple[Root, ...]:
    """``allowed_roots``: entries separated by ``:``; URLs keep their own colons."""
    return tuple(parse_root(p) for p in _ROOT_SEPARATOR.split(text) if p.strip())


# ------------------------------------------------------------------------------ checking
def inside(path: Path, roots: Iterable[Root]) -> bool:
    """A resolved local ``path`` lies in (or is) one of the local ``roots``."""
    return any(isinstance(r, Path) and path.is_relative_to(r.resolve()) for r in roots)


def _url_inside(scheme: str, text: str, roots: Iterable[Root]) -> bool:
    parts = urlsplit(text)
    readings = _readings(parts.path)
    for root in roots:
        if not isinstance(root, UrlRoot) or (root.scheme, root.netloc) != (scheme, parts.netloc):
            continue
        size = len(root.segments)
        if all(r is not None and r[:size] == root.segments for r in readings):
            return True
    return False


def _roots_text(roots: Sequence[Root], url: bool) -> str:
    chosen = [str(r) for r in roots if isinstance(r, UrlRoot) == url]
    return ", ".join(chosen) if chosen else "none"


def check_location(
    location: str | os.PathLike[str],
    *,
    roots: Sequence[Root] | None,
    base_dir: Path | None = None,
    configured: str | None = None,
    what: str = "location",
) -> Path | str:
    """``location`` as it is to be used (a resolved ``Path`` or a URL), or
    :class:`LocationRefused` naming it and what to set.

    ``roots``: ``None`` for no restriction (the CLI, run by the files' owner). ``base_dir``:
    relative paths resolve against it. ``configured``: the deployment's own setting for this
    kind of location (``[bluelabel] inbox``, ...), allowed together with what lies below it.
    """
    text = os.fspath(location)
    scheme = url_scheme(text)
    if roots is not None and configured:
        # a configured value that is no root still allows itself, and only itself
        with contextlib.suppress(ValueError):
            roots = [*roots, parse_root(configured)]
        if text == configured:
            roots = None
    label = f"{what} {shown(text)}"
    if scheme is not None and scheme not in LOCAL_SCHEMES:
        if roots is None:
            return f"{scheme}://{text.split('://', 1)[1]}"
        problem = _malformed(text)
        if problem:
            raise LocationRefused(label, f"refused: {problem}")
        try:
            under = _url_inside(scheme, text, roots)
        except ValueError as exc:  # urlsplit: a broken IPv6 host, a bad port
            raise LocationRefused(label, f"refused: not a usable URL ({exc})") from None
        if not under:
            raise LocationRefused(
                label,
                "refused: not under a URL root of [bluelabel] allowed_roots "
                f"({_roots_text(roots, True)}); add its prefix there (s3://bucket/prefix) to "
                "allow it",
            )
        return f"{scheme}://{text.split('://', 1)[1]}"
    try:
        if scheme is not None:
            if roots is not None and (problem := _malformed(text)):
                raise LocationRefused(label, f"refused: {problem}")
            candidates = [Path(p).resolve() for p in _local_of_url(text)]
        else:
            path = Path(os.path.expanduser(text))
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            candidates = [path.resolve()]
    except (OSError, ValueError) as exc:  # a NUL byte, a loop of links, a file:// host
        raise LocationRefused(label, f"not a usable path ({exc})") from None
    outside = [c for c in candidates if roots is not None and not inside(c, roots)]
    if roots is not None and outside:
        allowed = _roots_text(roots, False)
        if scheme is None and not Path(os.path.expanduser(text)).is_absolute():
            against = shown(base_dir) if base_dir else f"the working folder ({shown(Path.cwd())})"
            raise LocationRefused(
                label,
                f"refused: it resolves to {shown(outside[0])} (a relative path resolves "
                f"against {against}), outside the allowed roots ({allowed}); write a path "
                "under one of them ([bluelabel] allowed_roots)",
            )
        raise LocationRefused(
            label,
            f"refused: it resolves to {shown(outside[0])}, outside the allowed roots "
            f"({allowed}); move it under one, or add its folder to [bluelabel] allowed_roots",
        )
    return candidates[0]


def is_allowed(location: str | os.PathLike[str], roots: Sequence[Root]) -> bool:
    """Whether :func:`check_location` would allow ``location`` under ``roots``."""
    try:
        check_location(location, roots=roots)
    except LocationRefused:
        return False
    return True
