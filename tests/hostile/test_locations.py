"""The location policy (issue 20, items 1 and 2): every location a run names -- inbox, outbox,
source -- is a local path inside the allowed roots (symlinks resolved) or a URL under a root
configured as a URL; anything else is refused in one line, before it is contacted."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluelabel.agents import AgentInput
from bluelabel.config import SettingsError, parse_settings
from bluelabel.errors import IngestError, LocationRefused
from bluelabel.locations import UrlRoot, check_location, parse_roots
from tests.conftest import run_agent
from tests.hostile.locations import Recorder, context_for, tree


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """An allowed root holding an inbox, and a secret folder beside it (outside the root)."""
    root, secret = tmp_path / "root", tmp_path / "secret"
    (root / "inbox").mkdir(parents=True)
    secret.mkdir()
    (secret / "token.txt").write_text("the secret token\n")
    (secret / "payroll.pdf").write_bytes(b"%PDF-1.4 not really\n")
    (root / "link-out").symlink_to(secret)
    return {"root": root, "secret": secret}


def refusal(location: str, roots: str, base: Path, **kwargs: object) -> str:
    with pytest.raises(LocationRefused) as info:
        check_location(location, roots=parse_roots(roots), base_dir=base, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and info.value.permanent
    return message


# ----------------------------------------------------------------------------- the policy
@pytest.mark.parametrize(
    "location",
    [
        "local://{secret}",
        "LOCAL://{secret}/token.txt",
        "file://{secret}",
        "File://{root}/%2e%2e/secret",  # percent-encoded ..
        "file://{root}/inbox/%2E%2E/%2e%2e/secret",
        "local://{root}/link-out",  # a symlink out of the root
        "{root}/../secret",
        "{root}/link-out/token.txt",
        "inbox/../../secret",  # relative: resolves against the trigger root
        "http://127.0.0.1:9/",
        "HTTPS://127.0.0.1:9/token.txt",
        "ftp://127.0.0.1:21/pub",
        "memory://bucket/anything",
        "s3://bucket/inbox",
        "S3://conn@bucket/x",
        "gs://bucket/x",
        "hdfs://namenode:8020/x",
    ],
)
def test_every_scheme_outside_the_roots_is_refused(layout: dict[str, Path], location: str) -> None:
    text = location.format(root=layout["root"], secret=layout["secret"])
    message = refusal(text, str(layout["root"]), layout["root"])
    assert "refused" in message and "[bluelabel] allowed_roots" in message


def test_a_url_root_admits_its_own_prefix_and_nothing_beside_it(layout: dict[str, Path]) -> None:
    roots = f"{layout['root']}:s3://conn@bucket/inbox:http://127.0.0.1:8080/files"
    assert parse_roots(roots)[1:] == (
        UrlRoot("s3", "conn@bucket", ("inbox",)),
        UrlRoot("http", "127.0.0.1:8080", ("files",)),
    )
    allowed = [
        "s3://conn@bucket/inbox",
        "s3://conn@bucket/inbox/",
        "S3://conn@bucket/inbox/a.pdf",
        "s3://conn@bucket/inbox/x/../y.pdf",
        "http://127.0.0.1:8080/files/a",
    ]
    for location in allowed:
        used = check_location(location, roots=parse_roots(roots))
        assert used == "s3" + location[2:] or used == location, location
    refused = [
        "s3://bucket/inbox/a.pdf",  # another connection id: other credentials, other host
        "s3://other@bucket/inbox",
        "s3://conn@bucket/inboxes/a.pdf",  # a prefix of the name is not a folder
        "s3://conn@bucket/inbox/../secret",
        "s3://conn@bucket/inbox/%2e%2e/secret",  # read decoded by an HTTP endpoint
        "s3://conn@bucket/inbox/%252e%252e/secret",  # decoded twice
        "s3://conn@bucket/x/../inbox/a",  # literally a key outside inbox/
        "s3://conn@BUCKET/inbox",
        "s3://conn@bucket/inbox/a.pdf?versionId=1",
        "s3://conn@bucket/inbox/a#frag",
        "s3://conn@bucket/inbox/a\\..\\..\\x",
        "s3://conn@bucket/inbox/a%0a# forged",
        "s3://conn@bu%63ket/inbox",
        "http://127.0.0.1:8081/files/a",
        "http://127.0.0.1/files/a",
        "https://127.0.0.1:8080/files/a",
        "ftp://127.0.0.1:8080/files/a",
        "http://[::1/files",
    ]
    for location in refused:
        assert "refused" in refusal(location, roots, layout["root"]), location


def test_local_paths_resolve_inside_the_roots(layout: dict[str, Path]) -> None:
    root = layout["root"]
    for location in ("inbox", f"{root}/inbox", f"file://{root}/inbox", f"LOCAL://{root}/inbox"):
        assert (
            check_location(location, roots=parse_roots(str(root)), base_dir=root)
            == (root / "inbox").resolve()
        )
    message = refusal(f"{root}/link-out", str(root), root)
    assert f"resolves to {layout['secret'].resolve()}" in message
    assert "not a usable path" in refusal(f"{root}/in\x00box", str(root), root)
    assert "names this machine's disk" in refusal(f"file://evil.example/{root}", str(root), root)


def test_the_configured_location_is_the_deployments_choice(layout: dict[str, Path]) -> None:
    configured = "s3://conn@bucket/configured-inbox"
    assert check_location(configured, roots=[], configured=configured) == configured
    below = f"{configured}/sub"
    assert check_location(below, roots=[], configured=configured) == below
    assert "refused" in refusal("s3://conn@bucket/other", "", layout["root"], configured=configured)


def test_a_refusal_hides_a_urls_password_and_stays_one_short_line(layout: dict[str, Path]) -> None:
    message = refusal("ftp://user:hunter2@127.0.0.1/x" + "a" * 5000, "", layout["root"])
    assert "hunter2" not in message and "user:***@" in message and len(message) < 600


def test_allowed_roots_parse_urls_and_refuse_roots_that_cannot_be_one(tmp_path: Path) -> None:
    settings = parse_settings({"allowed_roots": f"{tmp_path}:s3://c@b/in:{tmp_path}/x"}, tmp_path)
    assert settings.trigger_root == tmp_path.resolve()
    assert settings.run_roots == (tmp_path.resolve(), (tmp_path / "x").resolve())
    assert settings.location_roots[-1] == UrlRoot("s3", "c@b", ("in",))
    for bad in ("s3://b/in/../x", "s3:///in", "s3://b/in?x=1", "s3://b/a%2Fb"):
        with pytest.raises(SettingsError, match=r"\[bluelabel\] allowed_roots"):
            parse_settings({"allowed_roots": bad}, tmp_path)


# ------------------------------------------------------------------- the inbox (item 1)
@pytest.mark.parametrize("scheme", ["local://", "file://", "LOCAL://", ""])
def test_an_inbox_outside_the_roots_is_neither_read_nor_filed(
    tmp_path: Path, layout: dict[str, Path], scheme: str
) -> None:
    context = context_for(tmp_path, str(layout["root"]))
    before = tree(layout["secret"])
    with pytest.raises(LocationRefused, match=r"inbox .*refused"):
        run_agent(
            "inbox_agent", AgentInput(config={"inbox": f"{scheme}{layout['secret']}"}), context
        )
    assert tree(layout["secret"]) == before  # nothing moved to processed/ or quarantine/
    assert context.store.query(limit=None) == []


def test_an_inbox_url_is_not_contacted(tmp_path: Path, recorder: Recorder) -> None:
    """The attack of item 1: a loopback service behind an inbox URL got GET / and GET
    /token.txt although private addresses are refused."""
    context = context_for(tmp_path, str(tmp_path / "root"))
    for url in (
        f"{recorder.url}/",
        f"HTTP://127.0.0.1:{recorder.port}/",
        f"ftp://127.0.0.1:{recorder.port}/",
    ):
        with pytest.raises(LocationRefused, match="not under a URL root"):
            run_agent("inbox_agent", AgentInput(config={"inbox": url}), context)
    assert recorder.connections == []


def test_the_recorder_sees_an_allowed_url_inbox(tmp_path: Path, recorder: Recorder) -> None:
    """The control: the same URL under a root configured as a URL is contacted."""
    context = context_for(tmp_path, f"{tmp_path}:{recorder.url}/")
    with pytest.raises(IngestError, match="cannot list the inbox"):  # it is no folder
        run_agent("inbox_agent", AgentInput(config={"inbox": f"{recorder.url}/"}), context)
    assert [c.split(b" ")[:2] for c in recorder.connections][:1] == [[b"GET", b"/"]]


def test_a_mapped_item_naming_another_inbox_is_refused(
    tmp_path: Path, layout: dict[str, Path]
) -> None:
    context = context_for(tmp_path, str(layout["root"]))
    item = AgentInput(
        content={"inbox_file": "token.txt"},
        context={"inbox": f"local://{layout['secret']}", "inbox_file": "token.txt"},
    )
    before = tree(layout["secret"])
    with pytest.raises(LocationRefused):
        run_agent("ingestion_agent", item, context)
    assert tree(layout["secret"]) == before


# ------------------------------------------------------------------ the outbox (item 2)
@pytest.mark.parametrize("outbox", ["{elsewhere}", "local://{elsewhere}", "file://{elsewhere}"])
def test_an_outbox_outside_the_roots_is_not_written(
    tmp_path: Path, layout: dict[str, Path], outbox: str
) -> None:
    context = context_for(tmp_path, str(layout["root"]))
    elsewhere = tmp_path / "anywhere" / "new"
    request = AgentInput(config={"outbox": outbox.format(elsewhere=elsewhere), "since": "1d"})
    with pytest.raises(LocationRefused, match=r"outbox .*refused"):
        run_agent("periodic_digest_agent", request, context)
    assert not (tmp_path / "anywhere").exists()


def test_an_outbox_url_is_not_contacted(tmp_path: Path, recorder: Recorder) -> None:
    context = context_for(tmp_path, str(tmp_path))
    for url in (f"ftp://127.0.0.1:{recorder.port}/digests", f"{recorder.url}/up", "memory://x/y"):
        request = AgentInput(config={"outbox": url, "since": "1d"})
        with pytest.raises(LocationRefused, match="not under a URL root"):
            run_agent("periodic_digest_agent", request, context)
    assert recorder.connections == []


def test_outboxes_under_the_roots_and_the_configured_one_are_written(tmp_path: Path) -> None:
    configured = tmp_path / "configured-outbox"
    context = context_for(tmp_path, str(tmp_path / "root"), outbox=configured)
    for outbox, folder in ((None, configured), (str(tmp_path / "root" / "out"), None)):
        config = {"since": "1d", **({"outbox": outbox} if outbox else {})}
        result = run_agent("periodic_digest_agent", AgentInput(config=config), context)
        written = Path(result["paths"]["markdown"])
        assert written.parent == (folder or tmp_path / "root" / "out").resolve()
        assert written.read_text().startswith("# ")


# ---------------------------------------------------------------------------- sources
@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1:{port}/payroll.pdf", "memory://bucket/x.txt", "local://{secret}/token.txt"],
)
def test_a_source_of_another_scheme_is_a_location(
    tmp_path: Path, layout: dict[str, Path], recorder: Recorder, url: str
) -> None:
    context = context_for(tmp_path, str(layout["root"]))
    source = url.format(port=recorder.port, secret=layout["secret"])
    with pytest.raises(LocationRefused, match=r"source .*refused"):
        run_agent("ingestion_agent", AgentInput(content={"url": source}), context)
    assert recorder.connections == [] and context.store.query(limit=None) == []


def test_a_file_url_under_the_roots_is_ingested_as_a_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "notes.txt").write_text("Notes kept under the allowed root. " * 5)
    context = context_for(tmp_path, str(root))
    result = run_agent(
        "ingestion_agent", AgentInput(content={"url": f"file://{root}/notes.txt"}), context
    )
    assert result["content_type"] == "text" and result["content_length"] > 100


def test_a_file_path_that_is_a_url_is_not_read_as_a_path(tmp_path: Path) -> None:
    context = context_for(tmp_path, f"{tmp_path}:s3://c@b")
    with pytest.raises(IngestError, match="must name a local file"):
        run_agent("ingestion_agent", AgentInput(content={"file_path": "s3://c@b/x.pdf"}), context)


def test_a_symlinked_root_entry_still_resolves(tmp_path: Path) -> None:
    """A root given through a symlink is the folder it names: its own files are allowed."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    roots = parse_roots(str(tmp_path / "alias"))
    assert check_location(str(real / "x.pdf"), roots=roots) == real / "x.pdf"
    os.symlink("/etc", real / "etc")
    with pytest.raises(LocationRefused):
        check_location(str(tmp_path / "alias" / "etc" / "passwd"), roots=roots)


def test_what_the_policy_reads_as_a_path_the_store_opens_as_a_path(tmp_path: Path) -> None:
    """One idea of what a URL is: a path holding '://' later on is a path for both (it was
    an object-store URL for storage_path, a local path for the check)."""
    from bluelabel.store import storage_path

    for text in (f"{tmp_path}/x/s3://bucket/y", f"{tmp_path}/:/x"):
        checked = check_location(text, roots=[tmp_path])
        assert checked == Path(text).resolve()
        assert storage_path(text) == Path(text)
    assert storage_path(f"FILE://localhost{tmp_path}/x") == tmp_path / "x"
