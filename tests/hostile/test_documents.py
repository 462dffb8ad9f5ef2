"""Hostile Word documents and email files: zip bombs (honest and lying about their size),
messages nested without end or with thousands of parts, binary named .eml or .html -- each a
clean one-line refusal (or a bounded success) within the memory bound and the time limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.hostile import docx_with_document, docx_zip_bomb
from devtools.mail_samples import nested_message
from devtools.measure import bluelabel
from tests.hostile.conftest import MEMORY_BOUND_MB, staging_files, worker_processes


@pytest.fixture(scope="module")
def docx_bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docx-bombs")
    made = {
        "honest": docx_zip_bomb(1 << 30),  # its directory says 1 GiB
        "lying": docx_zip_bomb(1 << 30, declared=20_000),  # says 20 KB, inflates to 1 GiB
    }
    paths = {}
    for name, data in made.items():
        assert len(data) < 3_000_000, (name, len(data))
        paths[name] = folder / f"{name}.docx"
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        ("honest", "over the 100,000,000-byte limit ([bluelabel] max_unpacked_bytes)"),
        ("lying", "a damaged one: not a readable DOCX document"),
    ],
)
def test_docx_zip_bomb_is_refused_within_the_memory_bound(
    docx_bombs: dict[str, Path], store_dir: Path, bomb: str, message: str
) -> None:
    run = bluelabel("ingest", str(docx_bombs[bomb]), "--store", str(store_dir))
    assert run.code == 1, run.lines
    assert message in run.error and str(docx_bombs[bomb]) in run.error, run.error
    assert run.peak_mb <= MEMORY_BOUND_MB, run.peak_mb
    assert run.seconds <= 600 + 5
    assert staging_files(store_dir) == [] and not (store_dir / "objects").exists()
    assert worker_processes(run.pid) == []


def test_docx_that_needs_too_much_memory_names_the_memory_limit(
    tmp_path: Path, store_dir: Path
) -> None:
    # 90 MB of paragraphs: under the unpacked limit, over what 160 MB of memory parses.
    path = tmp_path / "large.docx"
    path.write_bytes(docx_zip_bomb(90_000_000))
    env = {"AIRFLOW__BLUELABEL__INGEST_MEMORY_MB": "160"}
    run = bluelabel("ingest", str(path), "--store", str(store_dir), env=env)
    assert run.code == 1, run.lines
    assert "([bluelabel] ingest_memory_mb)" in run.error, run.error
    assert run.peak_mb <= MEMORY_BOUND_MB, run.peak_mb


def test_docx_whose_directory_points_before_the_archive_is_refused(
    tmp_path: Path, store_dir: Path
) -> None:
    """Found by fuzz/document_target.py: bytes cut from inside the archive leave member offsets
    before its start, and the seek failed with an OSError taken for a store write error."""
    from devtools.samples import docx_bytes

    whole = docx_bytes(["Some text."])
    path = tmp_path / "cut.docx"
    path.write_bytes(whole[:100] + whole[9100:])
    run = bluelabel("ingest", str(path), "--store", str(store_dir))
    assert run.code == 1 and len(run.lines) == 1, run.lines
    assert "not a readable DOCX document" in run.error and str(path) in run.error, run.error
    assert not (store_dir / "objects").exists()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
DTD_ATTACKS = {
    # an external entity naming a local file (XXE), used in the text
    "external": ('<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;"),
    # an external parameter entity, expanded inside the DTD itself
    "parameter": ('<!ENTITY % ext SYSTEM "file://{secret}"> %ext;]>', ""),
    # a billion laughs: 10^9 copies of "lol" from 1 KB of entity declarations
    "laughs": (f'<!ENTITY l0 "lol">{_LAUGHS}]>', "&l9;"),
}


@pytest.mark.parametrize("attack", ["external", "parameter", "laughs"])
def test_docx_entities_neither_read_files_nor_expand(
    tmp_path: Path, store_dir: Path, attack: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-41c7")
    declarations, used = DTD_ATTACKS[attack]
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [{declarations}'
        f"<w:document {_W}><w:body><w:p><w:r><w:t>Visible text.</w:t></w:r></w:p>"
        f"<w:p><w:r><w:t>{used}</w:t></w:r></w:p></w:body></w:document>"
    ).replace("{secret}", str(secret))
    path = tmp_path / f"{attack}.docx"
    path.write_bytes(docx_with_document(xml.encode()))
    run = bluelabel("ingest", str(path), "--store", str(store_dir))
    assert run.seconds <= 30 and run.peak_mb <= MEMORY_BOUND_MB, (run.seconds, run.peak_mb)
    assert "TOPSECRET" not in run.stdout + "\n".join(run.lines)
    if run.code == 0:  # the entity is dropped: the text is the document's own
        (text,) = store_dir.glob("objects/*/*.txt")
        assert text.read_text() == "Visible text."
    else:
        assert run.code == 1 and str(path) in run.error and len(run.lines) == 1, run.lines
    stored = [p.read_bytes() for p in store_dir.rglob("*") if p.is_file()]  # catalog too
    assert not any(b"TOPSECRET" in body or b"lollollol" in body for body in stored)


@pytest.mark.slow  # over 10 s: make test only
def test_email_nested_without_end_and_with_many_parts(tmp_path: Path, store_dir: Path) -> None:
    inner = b"Content-Type: text/plain\r\n\r\nthe innermost text\r\n"
    for level in range(5000):
        inner = (
            f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
            + inner
            + f"\r\n--b{level}--\r\n".encode()
        )
    deep = tmp_path / "deep.eml"
    deep.write_bytes(b"Subject: deep\r\nMIME-Version: 1.0\r\n" + inner)
    run = bluelabel("ingest", str(deep), "--store", str(store_dir))
    assert run.code in (0, 1), run.lines
    if run.code == 1:
        assert "nest too deeply" in run.error or "no body" in run.error, run.error
    assert run.seconds <= 60 and run.peak_mb <= MEMORY_BOUND_MB, (run.seconds, run.peak_mb)

    parts = b"".join(
        b"--B\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=p.html"
        b"\r\n\r\n<p>x</p>\r\n"
        for _ in range(20_000)
    )
    wide = tmp_path / "wide.eml"
    wide.write_bytes(b"Subject: wide\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + parts)
    run = bluelabel("ingest", str(wide), "--store", str(store_dir))
    assert run.code == 0, run.lines
    assert any("[bluelabel] email_max_attachments" in line for line in run.lines) or (
        "email_max_attachments" in run.stdout
    )
    assert run.seconds <= 60 and run.peak_mb <= MEMORY_BOUND_MB, (run.seconds, run.peak_mb)


def test_email_attached_a_thousand_deep_is_one_line(tmp_path: Path, store_dir: Path) -> None:
    """Issue 20: a message/rfc822 nested 1,000 deep made the standard library's generator
    raise AttributeError, and ``bluelabel ingest`` print a 1,983-line traceback."""
    path = tmp_path / "nested.eml"
    path.write_bytes(nested_message(1000))
    run = bluelabel("ingest", str(path), "--store", str(store_dir))
    assert run.code == 1 and len(run.lines) == 1, run.lines
    assert run.error == (
        f"bluelabel: ingest failed: {path}: malformed email: its parts nest too deeply "
        "(more than 100 levels)"
    )
    assert run.cpu_seconds <= 10 and run.peak_mb <= MEMORY_BOUND_MB, (run.cpu_seconds, run.peak_mb)
    assert not (store_dir / "objects").exists()


@pytest.mark.parametrize("suffix", [".eml", ".html", ".docx"])
def test_binary_named_as_a_document(tmp_path: Path, store_dir: Path, suffix: str) -> None:
    path = tmp_path / f"image{suffix}"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4096))
    run = bluelabel("ingest", str(path), "--store", str(store_dir))
    assert run.code == 1, run.lines
    assert ("\x89PNG" not in run.error and "PNG" in run.error) or "ZIP" in run.error, run.error
    assert not (store_dir / "objects").exists()


@pytest.mark.parametrize(
    "header",
    [
        b"From: " + b"(" * 3000 + b"zoe@example.org",  # comments nested past the recursion limit
        b"Subject: " + b"=?utf-8?q?a?= " * 12_000,  # memory grows with the square of their number
        b"Content-Type: text/plain" + b"".join(b"; p%d=v" % i for i in range(40_000)),  # time too
    ],
    ids=["nested-comments", "encoded-words", "parameters"],
)
def test_email_header_bombs_are_read_within_the_bounds(
    tmp_path: Path, store_dir: Path, header: bytes
) -> None:
    path = tmp_path / "header-bomb.eml"
    path.write_bytes(b"Message-ID: <bomb@example.org>\r\n" + header + b"\r\n\r\nthe body text\r\n")
    run = bluelabel("ingest", str(path), "--store", str(store_dir))
    assert run.code == 0, run.lines
    assert "the body text" in next((store_dir / "objects").rglob("*.txt")).read_text()
    assert run.cpu_seconds <= 10 and run.peak_mb <= MEMORY_BOUND_MB, (run.cpu_seconds, run.peak_mb)


def test_email_of_millions_of_parts_is_refused_at_the_part_limit(
    tmp_path: Path, store_dir: Path
) -> None:
    """30 MB of one-line parts: some 6 minutes and 1 GB to parse whole; the 30 s deadline
    alone let it reach 560 MB here. Refused at the 50,001st part."""
    path = tmp_path / "parts.eml"
    parts = b"--B\r\n\r\nx\r\n" * 3_000_000
    path.write_bytes(b"Subject: wide\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + parts)
    run = bluelabel("ingest", str(path), "--store", str(store_dir))
    assert run.code == 1, run.lines
    assert "more than 50,000 MIME parts" in run.error and str(path) in run.error, run.error
    assert run.cpu_seconds <= 15 and run.peak_mb <= MEMORY_BOUND_MB, (run.cpu_seconds, run.peak_mb)
    assert not (store_dir / "objects").exists()
