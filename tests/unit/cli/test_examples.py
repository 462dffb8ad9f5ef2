"""``bluelabel examples``: the package's example workflows copied into a DAGs folder, with
loaders, and never written over or through anything already there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BLUELABEL = str(Path(sys.executable).parent / "bluelabel")
SHIPPED = sorted(p.stem for p in (REPO / "dags" / "workflows").glob("*.yaml"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BLUELABEL, "examples", *args], capture_output=True, text=True)


def test_lists_the_shipped_workflows() -> None:
    done = run("--list")
    assert done.returncode == 0 and done.stdout.split() == SHIPPED


def test_copies_all_with_loaders_that_validate(tmp_path: Path) -> None:
    done = run("--dags-folder", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in SHIPPED:
        copy = tmp_path / "workflows" / f"{name}.yaml"
        assert copy.read_bytes() == (REPO / "dags" / "workflows" / f"{name}.yaml").read_bytes()
        assert f"'workflows/{name}.yaml'" in (tmp_path / f"{name}.py").read_text()
    valid = subprocess.run(
        [BLUELABEL, "validate", "-q", str(tmp_path / "workflows")], capture_output=True, text=True
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr
    again = run("--dags-folder", str(tmp_path))  # identical copies: nothing to do
    assert again.returncode == 0 and "wrote" not in again.stdout


def test_copies_only_the_named_and_refuses_unknown_names(tmp_path: Path) -> None:
    assert run("pdf_ingestion_digest", "--dags-folder", str(tmp_path)).returncode == 0
    assert [p.name for p in (tmp_path / "workflows").iterdir()] == ["pdf_ingestion_digest.yaml"]
    unknown = run("pdf_ingestion", "--dags-folder", str(tmp_path))
    assert unknown.returncode == 1 and "pdf_ingestion_digest" in unknown.stderr


def test_an_edited_workflow_is_kept_and_named(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    mine = tmp_path / "workflows" / "pdf_ingestion_digest.yaml"
    mine.write_text("workflow: {name: Mine, version: 1}\n")
    done = run("pdf_ingestion_digest", "--dags-folder", str(tmp_path))
    assert done.returncode == 1 and str(mine) in done.stderr and len(done.stderr.splitlines()) == 1
    assert mine.read_text() == "workflow: {name: Mine, version: 1}\n"


def test_never_writes_through_a_link_or_into_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    outside = tmp_path / "outside.yaml"
    (tmp_path / "workflows" / "periodic_digest.yaml").symlink_to(outside)  # dangling
    os.mkfifo(tmp_path / "workflows" / "batch_ingestion.yaml")
    for name in ("periodic_digest", "batch_ingestion"):
        done = run(name, "--dags-folder", str(tmp_path))
        assert done.returncode == 1 and "exists and is not this example" in done.stderr
    assert not outside.exists()


def test_a_dags_folder_that_is_not_a_folder(tmp_path: Path) -> None:
    missing = run("--dags-folder", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "is not a folder" in missing.stderr
    (tmp_path / "workflows").write_text("a file")
    taken = run("--dags-folder", str(tmp_path))
    assert taken.returncode == 1 and "workflows is not a folder" in taken.stderr


def test_by_default_they_go_into_the_deployments_dags_folder(tmp_path: Path) -> None:
    """``[core] dags_folder`` of $AIRFLOW_HOME, read as Airflow reads it (no Airflow import):
    no need for ``--dags-folder "$(airflow config get-value core dags_folder)"``."""
    home = tmp_path / "home"
    home.mkdir()
    configured = tmp_path / "deployment dags"
    configured.mkdir()
    (home / "airflow.cfg").write_text(f"[core]\ndags_folder = {configured}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(home)
    done = subprocess.run(
        [BLUELABEL, "examples", "pdf_ingestion_digest"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert (configured / "workflows" / "pdf_ingestion_digest.yaml").is_file()
    assert (configured / "pdf_ingestion_digest.py").is_file()
    (home / "dags").mkdir()  # Airflow's own default, when the file does not say
    (home / "airflow.cfg").write_text("[core]\n")
    done = subprocess.run(
        [BLUELABEL, "examples", "periodic_digest"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert (home / "dags" / "workflows" / "periodic_digest.yaml").is_file()
