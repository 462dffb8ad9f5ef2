"""What every fuzz target shares: a scratch folder, the settings of a small deployment, the
seed corpus built in code, and the rule that only Bluelabel's own errors may escape."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # devtools/, beside the package
SCRATCH = Path(tempfile.mkdtemp(prefix="bluelabel-fuzz-"))
os.environ.setdefault("AIRFLOW_HOME", str(SCRATCH / "airflow-home"))
Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
# Tight limits: a fuzz input that would use more is refused, which is the behaviour under test.
os.environ.setdefault("AIRFLOW__BLUELABEL__INGEST_TIMEOUT", "10")
os.environ.setdefault("AIRFLOW__BLUELABEL__INGEST_MEMORY_MB", "256")


def seed_corpus(folder: Path, seeds: dict[str, bytes]) -> Path:
    """Write the seeds (generated, never committed) where libFuzzer reads its corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (folder / name).write_bytes(data)
    return folder
