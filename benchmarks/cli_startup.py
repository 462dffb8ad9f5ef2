"""CLI start-up: `bluelabel validate` (the shipped workflows), `config`, `--version` and the
ingest of a small text file, against a bare interpreter importing yaml, jsonschema and pendulum
(what validating a workflow needs at the least).

Usage: python benchmarks/cli_startup.py [--runs 5] [--baseline PLUGINS_DIR]

Each command runs as a user runs it (the console script, a fresh process), against an Airflow
home with an airflow.cfg as Airflow writes it. Runs are interleaved; medians of wall time and
CPU time (user + system, the process and its children) are reported, and each command's CPU
as a multiple of the bare interpreter's. ``--baseline DIR`` runs the same commands with
``PYTHONPATH=DIR`` too (a checkout's ``plugins/`` before a change: ``git worktree add``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="a plugins/ folder to compare with (PYTHONPATH)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bluelabel-cli-bench-") as tmp:
        home = Path(tmp) / "airflow-home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env["AIRFLOW_HOME"] = str(home)
        # airflow.cfg as Airflow writes it (every section, the [bluelabel] defaults included)
        subprocess.run(
            [str(BIN / "airflow"), "config", "list"], env=env, capture_output=True, check=True
        )
        small = Path(tmp) / "note.txt"
        small.write_text("A short note about glaciers. Ice sheets move slowly.\n")
        bluelabel = str(BIN / "bluelabel")

        def commands_of(repo: Path) -> dict[str, list[str]]:
            workflows = sorted(str(p) for p in (repo / "dags" / "workflows").glob("*.yaml"))
            return {
                "bare: python -c 'import yaml, jsonschema, pendulum'": [
                    sys.executable,
                    "-c",
                    "import yaml, jsonschema, pendulum",
                ],
                "bluelabel validate dags/workflows/*.yaml": [bluelabel, "validate", *workflows],
                "bluelabel config": [bluelabel, "config"],
                "bluelabel --version": [bluelabel, "--version"],
                "bluelabel ingest note.txt (small text file)": [
                    bluelabel,
                    "ingest",
                    str(small),
                    "--store",
                    str(Path(tmp) / "store"),
                ],
            }

        # variant -> (environment, commands); the baseline validates its own checkout's files
        variants = {"current": (env, commands_of(REPO))}
        if args.baseline:
            plugins = Path(args.baseline).resolve()
            variants["baseline"] = (
                {**env, "PYTHONPATH": str(plugins)},
                commands_of(plugins.parent),
            )
        commands = variants["current"][1]
        figures: dict[str, dict[str, list[tuple[float, float]]]] = {
            v: {c: [] for c in commands} for v in variants
        }
        for _ in range(args.runs):
            for variant, (variant_env, variant_commands) in variants.items():
                for name, argv in variant_commands.items():
                    figures[variant][name].append(measure(argv, variant_env))

    report: dict[str, dict[str, dict[str, float]]] = {}
    for variant, by_command in figures.items():
        bare_cpu = statistics.median(c for _, c in by_command[next(iter(commands))])
        report[variant] = {}
        for name, runs in by_command.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            report[variant][name] = {
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "cpu_x_bare": round(cpu / bare_cpu, 2),
            }
            print(
                f"{variant:8} {name:48} wall {wall:6.3f} s  cpu {cpu:6.3f} s  "
                f"{cpu / bare_cpu:5.1f}x bare"
            )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
