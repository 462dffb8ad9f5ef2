"""The real DAG processor (not only DagBag): a broken workflow becomes one import error,
listed by `airflow dags list-import-errors`, and the other workflows still become DAGs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("airflow_db")

GOOD = """\
workflow: {name: Processor good, version: "1", dag_id: processor_good}
steps:
  - {id: ingest, agent: ingestion_agent}
  - {id: digest, agent: digest_agent, input_from: ingest}
"""
BAD = """\
workflow: {name: Processor bad, version: "1", dag_id: processor_bad}
steps:
  - {id: ingest, agnet: ingestion_agent}
  - {id: digest, agent: digest_agent, input_from: ingset}
"""
LOADER = """\
from pathlib import Path
from bluelabel.factory import load_workflows  # airflow DAG loader
load_workflows(Path(__file__).parent / "workflows" / "{name}.yaml", globals())
"""


def airflow(*args: str, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    binary = str(Path(sys.executable).parent / "airflow")
    done = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode in ok, done.stderr[-3000:]
    return done.stdout


def json_of(output: str) -> list[dict[str, str]]:
    """The JSON list in a CLI's stdout (Airflow prints some warnings there first)."""
    result: list[dict[str, str]] = json.loads(output[output.index("[{") :])
    return result


@pytest.mark.slow  # over 10 s: make test only
def test_broken_workflow_is_an_import_error_in_the_real_dag_processor(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    (dags / "workflows").mkdir(parents=True)
    for name, text in (("good", GOOD), ("bad", BAD)):
        (dags / "workflows" / f"{name}.yaml").write_text(text)
        (dags / f"{name}.py").write_text(LOADER.format(name=name))
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    airflow("dag-processor", "--num-runs", "1", env=env)

    # list-import-errors exits 1 when there are import errors
    errors = json_of(airflow("dags", "list-import-errors", "--output", "json", env=env, ok=(1,)))
    assert [e["filepath"] for e in errors] == ["bad.py"]  # relative to the DAGs folder
    ours = errors
    text = ours[0]["error"]
    bad_yaml = dags / "workflows" / "bad.yaml"
    assert f"{bad_yaml}:3: step 'ingest': unknown key 'agnet'; did you mean 'agent'?" in text
    assert f"{bad_yaml}:4: step 'digest': input_from refers to unknown step 'ingset'" in text

    listed = json_of(airflow("dags", "list", "--output", "json", env=env))
    dag_ids = {d["dag_id"] for d in listed}
    assert "processor_good" in dag_ids and "processor_bad" not in dag_ids
