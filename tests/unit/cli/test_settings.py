"""The CLI reads the Airflow home and [bluelabel] exactly as tasks do, refuses when there is
none, and says what is in effect (`bluelabel config`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devtools.samples import build_pdf, sample_pages
from tests.conftest import AIRFLOW_HOME

BLUELABEL = str(Path(sys.executable).parent / "bluelabel")
AIRFLOW = str(Path(sys.executable).parent / "airflow")
VALID = """\
workflow:
  name: Shared roots
  version: "1"
steps:
  - id: ingest
    agent: ingestion_agent
    input_file: {path}
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BLUELABEL, *args], capture_output=True, text=True, timeout=120, env=env or dict(os.environ)
    )


def without_airflow_home(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["HOME"] = str(tmp_path / "home")  # a user with no ~/airflow
    (tmp_path / "home").mkdir()
    return env


def test_without_an_airflow_home_the_cli_refuses_and_creates_none(tmp_path: Path) -> None:
    env = without_airflow_home(tmp_path)
    for args in (["report"], ["digest"], ["config"], ["ingest", "some text", "--type", "text"]):
        result = run(*args, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.strip().startswith(f"bluelabel: {args[0]} failed: no Airflow home")
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "airflow").exists()


def test_validate_outside_a_deployment_says_so_and_uses_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps({"task_type": "text", "content": {"text": "x"}}))
    path = tmp_path / "wf.yaml"
    path.write_text(VALID.format(path="in.json"))
    result = run("validate", str(path), env=without_airflow_home(tmp_path))
    assert result.returncode == 0
    assert "validating with the default [bluelabel] settings" in result.stderr


def test_report_on_an_unmigrated_home_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    home.mkdir()
    env = {**without_airflow_home(tmp_path), "AIRFLOW_HOME": str(home)}
    result = run("report", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "cannot read Airflow's metadata DB" in line and "airflow db migrate" in line


def test_validate_accepts_what_the_dag_factory_accepts(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.json").write_text(json.dumps({"task_type": "text", "content": {"text": "x"}}))
    path = tmp_path / "workflows" / "wf.yaml"
    path.parent.mkdir()
    path.write_text(VALID.format(path=shared / "in.json"))
    assert run("validate", str(path)).returncode == 1  # outside the workflow's own folder ...
    env = {**os.environ, "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": str(shared)}
    assert run("validate", str(path), env=env).returncode == 0  # ... unless allowed, as for DAGs

    from bluelabel.config import reset_settings
    from bluelabel.factory import load_workflows

    os.environ["AIRFLOW__BLUELABEL__ALLOWED_ROOTS"] = str(shared)
    try:
        reset_settings()
        assert [d.dag_id for d in load_workflows(path, {})] == ["shared_roots"]
    finally:
        os.environ["AIRFLOW__BLUELABEL__ALLOWED_ROOTS"] = str(AIRFLOW_HOME / "inbox")
        reset_settings()


def test_ingest_and_digest_use_the_configured_store(tmp_path: Path) -> None:
    store = tmp_path / "configured-store"
    env = {**os.environ, "AIRFLOW__BLUELABEL__STORE": str(store)}
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(build_pdf(sample_pages(2), metadata={"Title": "Configured"}))
    ingest = run("ingest", str(pdf), env=env)
    assert ingest.returncode == 0 and json.loads(ingest.stdout)["store"] == str(store)
    digest = run("digest", env=env)
    assert digest.returncode == 0 and "Configured" in digest.stdout
    assert f"saved as {store}/digests/" in digest.stderr


def test_config_prints_every_setting_and_its_source() -> None:
    env = {**os.environ, "AIRFLOW__BLUELABEL__MAX_PAGES": "1234"}
    result = run("config", env=env)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"# Airflow home: {AIRFLOW_HOME.resolve()}"
    by_key = {line.split(" = ")[0].strip(): line for line in lines[1:]}
    assert (
        "1234" in by_key["max_pages"]
        and "# env AIRFLOW__BLUELABEL__MAX_PAGES" in by_key["max_pages"]
    )
    assert "# default" in by_key["ingest_memory_mb"] and "512" in by_key["ingest_memory_mb"]
    assert len(by_key) >= 20


def test_airflow_config_list_shows_the_section() -> None:
    result = subprocess.run(
        [AIRFLOW, "config", "list", "--section", "bluelabel", "--include-descriptions"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for key in ("store", "allowed_roots", "ingest_memory_mb", "max_pages", "url_total_timeout"):
        assert f"{key} = " in result.stdout or f"# {key} = " in result.stdout
    assert "# Memory (MB) the extraction of one document may use" in result.stdout


READ_SETTINGS = """
import json, sys
from bluelabel import airflow_ports
airflow_ports.install(configuration=sys.argv[1] == "airflow")
from bluelabel.config import load_settings
settings = load_settings()
print(json.dumps({
    "values": settings.effective(),
    "max_map_length": settings.max_map_length,
    "airflow imported": "airflow.configuration" in sys.modules,
}))
"""


def test_the_cli_and_airflow_processes_read_the_same_settings(tmp_path: Path) -> None:
    """The CLI reads airflow.cfg and the environment itself; an Airflow process reads them
    through Airflow's conf. Same home, same file, same variables: same settings."""
    home = tmp_path / "airflow-home"
    home.mkdir()
    (home / "airflow.cfg").write_text(
        "[core]\nmax_map_length = 77\n"
        "[bluelabel]\n"
        f"store = {home}/bluelabel/store\n"  # a default, as Airflow writes it: still "default"
        "inbox = $SHARED_DATA/inbox\n"
        "outbox = %(inbox)s/../outbox\n"
        "max_pages = 300\n"
        "pdf_backend = pypdf\n"
        "ingest_workers = 2\n"
        "allowed_roots = /data/a:s3://bucket/in\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | {
        "AIRFLOW_HOME": str(home),
        "SHARED_DATA": "/srv/shared",
        "AIRFLOW__BLUELABEL__MAX_PAGES": "400",
        "AIRFLOW__BLUELABEL__OCR_LANGUAGES": "eng+deu",
        "AIRFLOW__BLUELABEL__STORE_CMD": "echo /not/read",  # not sensitive: Airflow ignores it
    }
    answers = {}
    for reader in ("cli", "airflow"):
        done = subprocess.run(
            [sys.executable, "-c", READ_SETTINGS, reader],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        answers[reader] = json.loads(done.stdout.splitlines()[-1])
    cli, airflow = answers["cli"], answers["airflow"]
    assert not cli.pop("airflow imported") and airflow.pop("airflow imported")
    assert cli == airflow
    values = {key: (value, source) for key, value, source in cli["values"]}
    assert values["max_pages"] == ("400", "env AIRFLOW__BLUELABEL__MAX_PAGES")
    assert values["inbox"][0] == "/srv/shared/inbox"
    assert values["outbox"][0] == "/srv/shared/inbox/../outbox"
    assert values["store"] == (f"{home}/bluelabel/store", "default")
    assert values["pdf_backend"][1] == f"airflow.cfg ({home}/airflow.cfg)"
    assert cli["max_map_length"] == 77


def test_config_says_which_variables_airflow_ignores() -> None:
    env = {**os.environ, "AIRFLOW__BLUELABEL__OUTBOX_CMD": "echo /elsewhere"}
    result = run("config", env=env)
    assert result.returncode == 0
    assert "# default" in next(ln for ln in result.stdout.splitlines() if ln.startswith("outbox"))
    assert (
        "bluelabel: AIRFLOW__BLUELABEL__OUTBOX_CMD is ignored: Airflow reads _CMD and _SECRET "
        "variants only for sensitive options" in result.stderr
    )
