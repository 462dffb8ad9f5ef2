"""The project-local Airflow used by ``make demo`` and ``make airflow``.

One Airflow home under ``./airflow_home`` (SQLite, LocalExecutor, no example DAGs, DAGs folder
``./dags``, API server on 127.0.0.1), configured through environment variables so that nothing
outside the project folder is touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path.cwd()
HOME = PROJECT / "airflow_home"
INBOX = HOME / "inbox"  # files for the trigger form (the PDF / URL workflows)
BATCH_INBOX = HOME / "batch-inbox"  # watched hourly by the batch_ingestion workflow
OUTBOX = HOME / "outbox"  # where periodic_digest publishes
PORT = int(os.environ.get("BLUELABEL_AIRFLOW_PORT", "8080"))


def airflow_env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)  # standalone starts its parts as `airflow`
    return {
        **os.environ,
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(HOME / "plugins"),  # the plugin comes by entry point
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(PORT),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{PORT}",
        "AIRFLOW__BLUELABEL__STORE": str(HOME / "bluelabel" / "store"),
        "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": str(INBOX),
        "AIRFLOW__BLUELABEL__INBOX": str(BATCH_INBOX),
        "AIRFLOW__BLUELABEL__OUTBOX": str(OUTBOX),
    }


def airflow(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    binary = str(Path(sys.executable).parent / "airflow")
    return subprocess.run(
        [binary, *args], env=airflow_env(), check=True, text=True, capture_output=capture
    )


def prepare() -> None:
    """Create the Airflow home and migrate its metadata DB (idempotent)."""
    for folder in (INBOX, BATCH_INBOX, OUTBOX):
        folder.mkdir(parents=True, exist_ok=True)
    (HOME / "plugins").mkdir(exist_ok=True)
    airflow("db", "migrate", capture=True)


def standalone() -> int:
    prepare()
    passwords = HOME / "simple_auth_manager_passwords.json.generated"
    print(
        f"Starting Airflow on http://127.0.0.1:{PORT} (Ctrl-C stops it).\n"
        f"Log in as 'admin'; the password is in {passwords} once it has started.\n"
        f"Put PDFs to ingest under {INBOX} (the allowed root for trigger-form paths).\n"
        f"Drop files into {BATCH_INBOX} for the hourly batch_ingestion workflow; the\n"
        f"periodic digest is published in {OUTBOX}."
    )
    os.execve(
        str(Path(sys.executable).parent / "airflow"), ["airflow", "standalone"], airflow_env()
    )


if __name__ == "__main__":
    sys.exit(standalone())
