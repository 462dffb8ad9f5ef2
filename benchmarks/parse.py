"""Parse cost: N YAML workflows (one loader file each, as shipped) vs N hand-written Python DAG
files building the same DAGs with the same operators.

Usage: python benchmarks/parse.py [--n 500] [--runs 5] [--dag-factory]
Each run is a fresh process timing ``DagBag(folder)`` (wall and CPU); runs are interleaved
and medians reported. ``--dag-factory`` adds dag-factory when it is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

YAML = """\
workflow:
  name: "Generated {i}"
  version: "1.0.0"
  dag_id: generated_yaml_{i}
  description: "Three steps: two ingests and a digest"
  params:
    format: {{type: string, enum: [markdown, html, json], default: markdown}}
  default_args: {{retries: 1, retry_delay: 30s}}
  tags: [bench]
steps:
  - id: ingest_a
    agent: ingestion_agent
    outputs: [content_id]
  - id: ingest_b
    agent: ingestion_agent
  - id: digest
    agent: digest_agent
    input_from: [ingest_a, ingest_b]
    config: {{format: "{{{{ params.format }}}}", limit: 10}}
"""

LOADER = """\
from pathlib import Path
from bluelabel.factory import load_workflows  # airflow dag loader
load_workflows(Path(__file__).parent / "workflows" / "wf_{i}.yaml", globals())
"""

PYTHON = """\
from datetime import timedelta
import pendulum
from airflow.sdk import DAG, Param
from bluelabel.operators import DigestOperator, IngestOperator

with DAG(
    dag_id="generated_py_{i}",
    description="Three steps: two ingests and a digest",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    params={{"format": Param("markdown", type="string", enum=["markdown", "html", "json"])}},
    default_args={{"retries": 1, "retry_delay": timedelta(seconds=30)}},
    tags={{"bench"}},
    max_active_runs=16,
    max_active_tasks=16,
) as dag:
    a = IngestOperator(task_id="ingest_a", use_trigger_input=True, outputs=["content_id"])
    b = IngestOperator(task_id="ingest_b", use_trigger_input=True)
    d = DigestOperator(task_id="digest", input_from=["ingest_a", "ingest_b"],
                       config={{"format": "{{{{ params.format }}}}", "limit": 10}})
    [a, b] >> d
"""

DAG_FACTORY_YAML = """\
generated_df_{i}:
  default_args: {{retries: 1, start_date: 2025-01-01}}
  schedule: null
  description: "Three steps: two ingests and a digest"
  tasks:
    ingest_a: {{operator: bluelabel.operators.IngestOperator, use_trigger_input: true}}
    ingest_b: {{operator: bluelabel.operators.IngestOperator, use_trigger_input: true}}
    digest:
      operator: bluelabel.operators.DigestOperator
      input_from: [ingest_a, ingest_b]
      dependencies: [ingest_a, ingest_b]
"""

DAG_FACTORY_LOADER = """\
from pathlib import Path
from dagfactory import load_yaml_dags  # airflow dag
load_yaml_dags(globals_dict=globals(), config_filepath=str(Path(__file__).parent / "df_{i}.yml"))
"""

MEASURE = """
import os, sys, time, json, logging
logging.disable(logging.CRITICAL)
from airflow.dag_processing.dagbag import DagBag
import bluelabel.factory, bluelabel.operators  # imported by both kinds: not part of the figure
wall, cpu = time.perf_counter(), time.process_time()
bag = DagBag(dag_folder=sys.argv[1])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"wall": wall, "cpu": cpu, "dags": len(bag.dags),
                  "errors": len(bag.import_errors)}))
"""


def build(folder: Path, n: int, with_dag_factory: bool) -> dict[str, Path]:
    kinds = {"python": folder / "python", "yaml": folder / "yaml"}
    (kinds["yaml"] / "workflows").mkdir(parents=True)
    kinds["python"].mkdir()
    for i in range(n):
        (kinds["yaml"] / "workflows" / f"wf_{i}.yaml").write_text(YAML.format(i=i))
        (kinds["yaml"] / f"load_{i}.py").write_text(LOADER.format(i=i))
        (kinds["python"] / f"dag_{i}.py").write_text(PYTHON.format(i=i))
    if with_dag_factory:
        kinds["dag-factory"] = folder / "dag_factory"
        kinds["dag-factory"].mkdir()
        for i in range(n):
            (kinds["dag-factory"] / f"df_{i}.yml").write_text(DAG_FACTORY_YAML.format(i=i))
            (kinds["dag-factory"] / f"load_{i}.py").write_text(DAG_FACTORY_LOADER.format(i=i))
    return kinds


def measure(folder: Path, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dag-factory", action="store_true")
    args = parser.parse_args()
    with_df = args.dag_factory
    if with_df:
        try:
            import dagfactory  # noqa: F401
        except ImportError:
            print("dag-factory is not installed: skipping it")
            with_df = False
    folder = Path(tempfile.mkdtemp(prefix="bench-parse-"))
    kinds = build(folder, args.n, with_df)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(folder / "airflow_home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__BLUELABEL__WORKFLOW_CACHE": str(folder / "cache"),
    }
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    order = list(kinds)
    for _ in range(args.runs):
        for kind in order:  # interleaved, and the order flipped every round
            results[kind].append(measure(kinds[kind], env))
        order.reverse()
    print(f"N = {args.n} DAGs, {args.runs} fresh-process runs each (medians)")
    base = statistics.median(r["wall"] for r in results["python"]) / args.n
    for kind, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs) / args.n * 1000
        cpu = statistics.median(r["cpu"] for r in runs) / args.n * 1000
        first = runs[0]["wall"] / args.n * 1000
        print(
            f"{kind:12} wall {wall:6.2f} ms/DAG  cpu {cpu:6.2f} ms/DAG  "
            f"({wall / (base * 1000):.2f}x python; first run {first:.2f} ms/DAG; "
            f"dags {int(runs[0]['dags'])}, import errors {int(runs[0]['errors'])})"
        )
    print(
        textwrap.dedent(f"""\
        files in {folder}""")
    )


if __name__ == "__main__":
    main()
