"""The project-local Airflow used by ``make demo`` and ``make airflow``.

One Airflow home under ``./airflow_home`` (SQLite, LocalExecutor, no example DAGs, DAGs folder
``./dags``, API server on 127.0.0.1). Its settings are written into the home's ``airflow.cfg``
(created by Airflow first, then the keys below set in place), so that everything reading that
home -- Airflow's processes, and ``AIRFLOW_HOME=airflow_home bluelabel config`` -- sees the same
values. Nothing outside the project folder is touched.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from devtools.pidfiles import session_members

PROJECT = Path.cwd()
HOME = PROJECT / "airflow_home"
INBOX = HOME / "inbox"  # files for the trigger form (the PDF / URL workflows)
BATCH_INBOX = HOME / "batch-inbox"  # watched hourly by the batch_ingestion workflow
OUTBOX = HOME / "outbox"  # where periodic_digest publishes
PORT = int(os.environ.get("BLUELABEL_AIRFLOW_PORT", "8080"))
#: How long Airflow may take to stop its components after Ctrl-C before they are terminated.
STOP_SECONDS = 30.0


def settings() -> dict[str, dict[str, str]]:
    """What the local Airflow home's airflow.cfg says, by section."""
    home, project, port = HOME, PROJECT, PORT
    return {
        "core": {
            "dags_folder": str(project / "dags"),
            "plugins_folder": str(home / "plugins"),  # the plugin comes by entry point
            "load_examples": "False",
            "executor": "LocalExecutor",
        },
        "database": {"sql_alchemy_conn": f"sqlite:///{home}/airflow.db"},
        "api": {
            "host": "127.0.0.1",
            "port": str(port),
            "base_url": f"http://127.0.0.1:{port}",
        },
        "bluelabel": {
            "store": str(home / "bluelabel" / "store"),
            "allowed_roots": str(home / "inbox"),
            "inbox": str(home / "batch-inbox"),
            "outbox": str(home / "outbox"),
        },
    }


_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def set_options(text: str, values: Mapping[str, Mapping[str, str]]) -> str:
    """``text`` (an airflow.cfg) with each ``key = value`` of ``values`` set in its section:
    the key's line replaced where it is set (or commented out, as Airflow writes most), else
    added at the section's top; a missing section appended. Comments and the rest are kept;
    ``%`` is doubled, as ConfigParser's interpolation reads it."""
    lines = text.splitlines()
    for section, options in values.items():
        starts = [
            i for i, line in enumerate(lines) if (m := _SECTION.match(line)) and m[1] == section
        ]
        if not starts:
            lines += ["", f"[{section}]"]
            starts = [len(lines) - 1]
        start = starts[0]
        end = next(
            (i for i in range(start + 1, len(lines)) if _SECTION.match(lines[i])), len(lines)
        )
        for key, value in options.items():
            line = f"{key} = {value.replace('%', '%%')}"
            pattern = re.compile(rf"^\s*#?\s*{re.escape(key)}\s*=")
            found = [i for i in range(start + 1, end) if pattern.match(lines[i])]
            set_here = [i for i in found if not lines[i].lstrip().startswith("#")]
            if set_here or found:
                lines[(set_here or found)[0]] = line
                for extra in set_here[1:]:  # a key set twice: ConfigParser would refuse the file
                    lines[extra] = f"# {lines[extra]}"
            else:
                lines.insert(start + 1, line)
                end += 1
    return "\n".join(lines) + "\n"


def airflow_env() -> dict[str, str]:
    """The environment of the local Airflow: its home; everything else is in its airflow.cfg."""
    venv_bin = str(Path(sys.executable).parent)  # standalone starts its parts as `airflow`
    return {
        **os.environ,
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "AIRFLOW_HOME": str(HOME),
    }


def airflow(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    binary = str(Path(sys.executable).parent / "airflow")
    return subprocess.run(
        [binary, *args], env=airflow_env(), check=True, text=True, capture_output=capture
    )


def write_config() -> Path:
    """The home's airflow.cfg: Airflow's own (its generated secrets included), once, then the
    local settings set in it (again on every start, so an older home catches up)."""
    config = HOME / "airflow.cfg"
    HOME.mkdir(parents=True, exist_ok=True)
    if not config.exists():
        airflow("config", "list", capture=True)  # Airflow writes its defaults and secrets
    config.write_text(set_options(config.read_text(encoding="utf-8"), settings()), encoding="utf-8")
    return config


def prepare() -> None:
    """Create the Airflow home, write its settings and migrate its metadata DB (idempotent)."""
    for folder in (INBOX, BATCH_INBOX, OUTBOX):
        folder.mkdir(parents=True, exist_ok=True)
    (HOME / "plugins").mkdir(exist_ok=True)
    write_config()
    airflow("db", "migrate", capture=True)


# ------------------------------------------------------------------------------ supervising
def _become_subreaper() -> None:
    """Linux: descendants orphaned by their parent come to this process, which reaps them."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap() -> None:
    """Wait for every child that has exited (none is left defunct)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _stop_session(session: int, seconds: float) -> None:
    """SIGTERM every process left in ``session``, SIGKILL what is still there after
    ``seconds``, reaping as they go."""
    for sig, wait in ((signal.SIGTERM, seconds), (signal.SIGKILL, 5.0)):
        members = session_members({session})
        if not members:
            break
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while session_members({session}) and time.monotonic() < deadline:
            _reap()
            time.sleep(0.1)
    _reap()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def supervise(
    argv: Sequence[str], env: Mapping[str, str], *, stop_seconds: float = STOP_SECONDS
) -> int:
    """Run ``argv`` as the leader of a session of its own until it exits or Ctrl-C.

    ``airflow standalone`` stops its components on SIGINT but never waits for them, and keeps
    waiting for output from grandchildren that hold its pipes: with ``exec`` it left defunct
    processes behind Ctrl-C until a SIGTERM. Here Ctrl-C is passed on to it alone; whatever of
    its session is still running after ``stop_seconds`` is terminated, and every process that
    exits -- orphans included, this process being their subreaper -- is reaped.
    """
    _become_subreaper()
    # Ctrl-C and a SIGTERM stop it the same way, even where SIGINT came in ignored (a
    # background job of a script)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupted)
    process = subprocess.Popen(list(argv), env=dict(env), start_new_session=True)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        print("\nStopping Airflow (Ctrl-C again to kill it at once) ...", flush=True)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=stop_seconds)
            _stop_session(process.pid, stop_seconds)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            _stop_session(process.pid, 0.0)
            process.wait()
        code = 130
    finally:
        if process.poll() is None:  # an error in this process: leave nothing running
            _stop_session(process.pid, 0.0)
        _stop_session(process.pid, stop_seconds)
    return code


def standalone() -> int:
    prepare()
    passwords = HOME / "simple_auth_manager_passwords.json.generated"
    print(
        f"Starting Airflow on http://127.0.0.1:{PORT} (Ctrl-C stops it).\n"
        f"Log in as 'admin'; the password is in {passwords} once it has started.\n"
        f"Put PDFs to ingest under {INBOX} (the allowed root for trigger-form paths).\n"
        f"Drop files into {BATCH_INBOX} for the hourly batch_ingestion workflow; the\n"
        f"periodic digest is published in {OUTBOX}.\n"
        f"Its settings are in {HOME / 'airflow.cfg'}; the CLI reads them with\n"
        f"  export AIRFLOW_HOME={HOME}"
    )
    return supervise([str(Path(sys.executable).parent / "airflow"), "standalone"], airflow_env())


if __name__ == "__main__":
    sys.exit(standalone())
