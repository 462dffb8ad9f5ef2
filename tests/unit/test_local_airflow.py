"""``make airflow`` / ``make demo`` (devtools/local.py): the local Airflow's settings live in its
airflow.cfg, so the CLI pointed at that home reads what the running Airflow uses; Ctrl-C leaves
no process behind, defunct or running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools import local
from devtools.pidfiles import process_stat
from tests.conftest import REPO

BLUELABEL = str(Path(sys.executable).parent / "bluelabel")


@pytest.mark.slow  # over 10 s: make test only
def test_the_settings_go_into_the_homes_airflow_cfg_and_the_cli_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "my project"
    home = project / "airflow_home"
    monkeypatch.setattr(local, "PROJECT", project)
    monkeypatch.setattr(local, "HOME", home)
    for name in [n for n in os.environ if n.startswith("AIRFLOW__")]:
        monkeypatch.delenv(name)  # the session's own settings: not the local home's
    config = local.write_config()
    first = config.read_text()
    assert "[core]" in first and "fernet_key" in first  # Airflow's own file, then ours set in it
    assert local.write_config().read_text() == first  # idempotent

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    shown = subprocess.run(
        [BLUELABEL, "config"],
        env={**env, "AIRFLOW_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    rows = {line.split(" = ")[0].strip(): line for line in shown.stdout.splitlines()[1:]}
    for key, value in local.settings()["bluelabel"].items():
        assert value in rows[key]  # the store is the default one: shown as "# default"
    for key in ("allowed_roots", "inbox", "outbox"):
        assert rows[key].endswith(f"# airflow.cfg ({config})"), rows[key]
    # and Airflow itself reads the same file the same way
    airflow = subprocess.run(
        [
            sys.executable,
            "-c",
            "from airflow.configuration import conf; import json; print(json.dumps("
            "[conf.get('bluelabel', 'inbox'), conf.get('core', 'dags_folder'), "
            "conf.get('database', 'sql_alchemy_conn')]))",
        ],
        env={**env, "AIRFLOW_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(airflow.stdout.splitlines()[-1]) == [
        str(home / "batch-inbox"),
        str(project / "dags"),
        f"sqlite:///{home}/airflow.db",
    ]


def test_set_options_keeps_comments_and_sets_each_key_once() -> None:
    text = (
        "# Airflow's file\n[core]\n# The folder\n# dags_folder = /old\nexecutor = Sequential\n"
        "[api]\nport = 1\nport = 2\n"
    )
    done = local.set_options(
        text,
        {
            "core": {"dags_folder": "/new", "executor": "LocalExecutor"},
            "api": {"port": "8080"},
            "bluelabel": {"inbox": "/in/100%"},
        },
    )
    assert done == (
        "# Airflow's file\n[core]\n# The folder\ndags_folder = /new\nexecutor = LocalExecutor\n"
        "[api]\nport = 8080\n# port = 2\n\n[bluelabel]\ninbox = /in/100%%\n"  # read as 100%
    )


#: Stands in for ``airflow standalone``: a component whose worker holds the component's
#: output pipe and ignores SIGINT and SIGTERM; on Ctrl-C it terminates the component, never
#: waits for it, and keeps reading the pipe the worker holds -- defunct children, for ever.
FAKE_STANDALONE = """
import json, subprocess, sys
worker = (
    "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
)
component = subprocess.Popen(
    [sys.executable, "-c",
     "import subprocess, sys, time; w = subprocess.Popen([sys.executable, '-c', %r]); "
     "print(w.pid, flush=True); time.sleep(600)" % worker],
    stdout=subprocess.PIPE,
)
grandchild = int(component.stdout.readline())
with open(sys.argv[1], "w") as out:
    json.dump({"standalone": __import__("os").getpid(), "component": component.pid,
               "worker": grandchild}, out)
try:
    for line in component.stdout:
        pass
except KeyboardInterrupt:
    component.terminate()
    for line in component.stdout:  # the worker holds the pipe: this never ends
        pass
"""


def test_ctrl_c_leaves_no_process_behind(tmp_path: Path) -> None:
    ready = tmp_path / "pids.json"
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from devtools.local import supervise; "
            "sys.exit(supervise(sys.argv[1:], {}, stop_seconds=2))",
            sys.executable,
            "-c",
            FAKE_STANDALONE,
            str(ready),
        ],
        cwd=REPO,
        start_new_session=True,  # a Ctrl-C of its own, as the terminal sends it
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text():
        assert time.monotonic() < deadline and supervisor.poll() is None
        time.sleep(0.1)
    pids = json.loads(ready.read_text())
    started = time.monotonic()
    os.killpg(supervisor.pid, signal.SIGINT)  # Ctrl-C: the terminal's foreground group
    assert supervisor.wait(timeout=30) == 130
    assert time.monotonic() - started < 20
    assert "Stopping Airflow" in (supervisor.stdout.read() if supervisor.stdout else "")
    left = {name: process_stat(pid) for name, pid in pids.items()}
    assert {name: stat for name, stat in left.items() if stat is not None} == {}
