"""The built wheel, installed the way a user installs it, on real Airflow releases.

For each target -- the lowest Airflow the wheel declares on the lowest Python it supports,
and the newest Airflow 3.x on the newest Python here -- a fresh virtual environment (uv) gets
the wheel and that Airflow, and nothing else of the project. In it: ``airflow plugins`` lists
the plugin, ``airflow config list`` shows the ``[bluelabel]`` keys, a shipped example
workflow copied into the DAGs folder with ``bluelabel examples`` (the documented way) runs
with ``airflow dags test``, and the API server serves the React bundle and answers the plugin
API with the document that run stored.

uv's cache (``uv cache dir``) is kept between runs, so after the first run an install links
cached files instead of downloading them. The wheel is the ``dist`` fixture's (conftest.py).
The phases' wall times are written to ``test-artifacts/install-<target>.json``.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bluelabel.config_keys import SETTINGS
from devtools.samples import build_pdf, sample_pages
from tests.conftest import REPO
from tests.install.conftest import Dist

# One xdist worker builds the wheel (the dist fixture) for every test of tests/install.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("install")]

ARTIFACTS = REPO / "test-artifacts"
UV = shutil.which("uv")
#: The shipped workflow the test runs, and its trigger input (a PDF in the inbox).
WORKFLOW = "pdf_ingestion_digest"
#: Release days (PyPI upload) of the Airflow versions the declared floor may be.
AIRFLOW_RELEASED = {
    "3.2.0": "2026-04-07T13:00:00Z",
    "3.2.2": "2026-05-29T06:00:00Z",
    "3.3.0": "2026-07-06T14:00:00Z",
}


@dataclass(frozen=True)
class Target:
    name: str
    python: str  # "3.10"
    airflow: str  # a requirement specifier for apache-airflow, "==3.3.0" or ">=3,<4"


def declared_airflow_floor(wheel: Path) -> str:
    """The ``X`` of ``apache-airflow>=X`` in the wheel's own metadata."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    match = re.search(r"^Requires-Dist: apache-airflow\s*[(]?([^;\n]*)", metadata, re.M)
    assert match, "the wheel does not require apache-airflow"
    floor = re.search(r">=\s*([\w.]+)", match.group(1))
    assert floor and "<4" in match.group(1).replace(" ", ""), match.group(1)
    return floor.group(1)


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` (3.10): pyenv's versions, else ``pythonX.Y`` on PATH."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))
    found = shutil.which(f"python{version}")
    for candidate in [*candidates, *([found] if found else [])]:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def targets() -> list[Target]:
    # The floor is read from the wheel when the fixture runs; "lowest" is filled in there.
    return [Target("lowest", "3.10", "floor"), Target("newest", "3.13", ">=3,<4")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Deployment:
    """One fresh virtual environment with the wheel and an Airflow, and its Airflow home."""

    target: Target
    venv: Path
    home: Path
    env: dict[str, str]
    airflow_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def run(
        self, *args: str, phase: str | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if phase:
            self.timings[phase] = round(time.monotonic() - started, 1)
        command = " ".join(args)
        assert done.returncode == 0, (
            f"{command} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        )
        return done


def _clean_environment(venv: Path, home: Path) -> dict[str, str]:
    """The user's shell, not this test session's: no AIRFLOW_* or BLUELABEL_* of ours, no
    other virtual environment, and the new one first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "BLUELABEL", "PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env.update(
        PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API_AUTH__JWT_SECRET="bluelabel-install-test",
        # the one Bluelabel setting the example needs: where trigger paths may point
        AIRFLOW__BLUELABEL__ALLOWED_ROOTS=str(home / "inbox"),
    )
    return env


@pytest.fixture(scope="module", params=targets(), ids=lambda t: t.name)
def deployment(
    request: pytest.FixtureRequest, dist: Dist, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    target: Target = request.param
    wheel = dist.wheel
    if target.airflow == "floor":
        target = Target(target.name, target.python, f"=={declared_airflow_floor(wheel)}")
    python = find_python(target.python)
    if python is None:
        pytest.skip(f"no Python {target.python} here (pyenv install {target.python})")
    assert UV, "uv is needed to make the test environments"
    root = tmp_path_factory.mktemp(f"install-{target.name}")
    venv, home = root / "venv", root / "airflow-home"
    (home / "inbox").mkdir(parents=True)
    deployment = Deployment(target, venv, home, _clean_environment(venv, home))
    started = time.monotonic()
    interpreter = str(venv / "bin" / "python")
    commands = [[UV, "venv", "-q", "--python", python, str(venv)]]
    constraints: list[str] = []
    if target.airflow.startswith("=="):
        # Airflow's own constraints for the release, as of its release day (the file Airflow
        # publishes lives on GitHub, out of reach here): a later pydantic, for one, breaks
        # Airflow 3.2.2's task runner.
        released = AIRFLOW_RELEASED.get(target.airflow[2:])
        assert released, f"add the release day of Airflow {target.airflow[2:]} to AIRFLOW_RELEASED"
        pins = root / "airflow-constraints.txt"
        commands.append(
            [UV, "pip", "compile", "-q", "-", "-p", interpreter, "--exclude-newer", released,
             "-o", str(pins)]
        )  # fmt: skip
        constraints = ["-c", str(pins)]
    commands.append(
        [UV, "pip", "install", "-q", "-p", interpreter, *constraints, str(wheel),
         f"apache-airflow{target.airflow}"]
    )  # fmt: skip
    for command in commands:
        done = subprocess.run(
            command,
            input=f"apache-airflow{target.airflow}\n",
            env=deployment.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"{' '.join(command)}\n{done.stderr[-5000:]}"
    deployment.timings["install"] = round(time.monotonic() - started, 1)
    deployment.airflow_version = deployment.run(  # `airflow version` costs an Airflow import
        "python", "-c", "import importlib.metadata as m; print(m.version('apache-airflow-core'))"
    ).stdout.strip()
    deployment.run("airflow", "db", "migrate", phase="db migrate")
    yield deployment
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"install-{target.name}.json").write_text(
        json.dumps(
            {
                "python": target.python,
                "airflow": deployment.airflow_version,
                "seconds": deployment.timings,
            },
            indent=2,
        )
    )


def test_only_the_wheel_and_airflow_are_installed(deployment: Deployment) -> None:
    """Nothing of the repository leaks in: bluelabel comes from the venv's site-packages."""
    where = deployment.run(
        "python", "-c", "import bluelabel, sys; print(bluelabel.__file__, bluelabel.__version__)"
    ).stdout.split()
    assert where[0].startswith(str(deployment.venv)) and "site-packages" in where[0]
    assert where[1] == _pyproject_version()
    if deployment.target.airflow.startswith("=="):
        assert deployment.airflow_version == deployment.target.airflow.removeprefix("==")
    else:
        assert deployment.airflow_version.startswith("3.")


def test_airflow_plugins_lists_the_plugin(deployment: Deployment) -> None:
    listed = json.loads(
        deployment.run("airflow", "plugins", "--output", "json", phase="airflow plugins").stdout
    )
    (plugin,) = [p for p in listed if p["name"] == "bluelabel"]
    assert "bluelabel.metrics.listener" in str(plugin.get("listeners"))
    assert "bluelabel-metrics" in str(plugin.get("react_apps"))  # the UI bundle was found


def test_config_list_shows_every_bluelabel_key(deployment: Deployment) -> None:
    shown = deployment.run(
        "airflow", "config", "list", "--section", "bluelabel", phase="airflow config list"
    ).stdout
    assert "[bluelabel]" in shown
    missing = [s.key for s in SETTINGS if not re.search(rf"^#?\s*{s.key} =", shown, re.M)]
    assert missing == []


def test_a_shipped_workflow_runs_and_the_api_server_serves_the_plugin(
    deployment: Deployment,
) -> None:
    dags = deployment.home / "dags"  # Airflow's default [core] dags_folder
    dags.mkdir()
    deployment.run("bluelabel", "examples", WORKFLOW, "--dags-folder", str(dags))
    assert (dags / "workflows" / f"{WORKFLOW}.yaml").is_file()
    assert (dags / f"{WORKFLOW}.py").is_file()
    pdf = deployment.home / "inbox" / "install-test.pdf"
    pdf.write_bytes(build_pdf(sample_pages(3), metadata={"Title": "Installed from a wheel"}))
    conf = json.dumps({"source": pdf.name, "format": "markdown"})
    deployment.run("airflow", "dags", "test", WORKFLOW, "--conf", conf, phase="dags test")

    with _api_server(deployment) as api:
        runs = api("GET", f"/api/v2/dags/{WORKFLOW}/dagRuns")["dag_runs"]
        assert [r["state"] for r in runs] == ["success"]
        bundle = api("GET", "/bluelabel/static/bluelabel.js", raw=True)
        assert len(bundle) > 10_000 and b"bluelabel" in bundle
        plugins = api("GET", "/api/v2/plugins")["plugins"]
        (ours,) = [p for p in plugins if p["name"] == "bluelabel"]
        assert {a["url_route"] for a in ours["react_apps"]} >= {"knowledge-store"}
        assert all("/bluelabel/static/bluelabel.js" in a["bundle_url"] for a in ours["react_apps"])
        documents = api("GET", "/bluelabel/api/documents")
        assert "Installed from a wheel" in json.dumps(documents)
        run_id = runs[0]["dag_run_id"]
        # metrics are kept in the store's catalog: served on every supported Airflow
        metrics = api("GET", f"/bluelabel/api/runs/{WORKFLOW}/{run_id}/metrics")
        steps = {s["task_id"]: s for s in metrics["steps"]}
        assert steps["ingest"]["peak_memory_mb"] > 0
        if _airflow_tuple(deployment.airflow_version) < (3, 3):
            # no task state store: live progress (and its view) says why
            with pytest.raises(urllib.error.HTTPError) as refused:
                api("GET", f"/bluelabel/api/progress?dag_id={WORKFLOW}&run_id={run_id}")
            assert refused.value.code == 501
            assert "needs Airflow 3.3 or later" in refused.value.read().decode()


class _Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def __call__(self, method: str, path: str, *, raw: bool = False) -> Any:
        request = urllib.request.Request(
            self.base + path, method=method, headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return body if raw else json.loads(body)


@contextlib.contextmanager
def _api_server(d: Deployment) -> Iterator[_Api]:
    """``airflow api-server`` on a free loopback port, with one admin user."""
    passwords = d.home / "passwords.json"
    passwords.write_text(json.dumps({"admin": "install-test"}))
    env = {
        **d.env,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with (d.home / "api-server.log").open("w") as log:
        process = subprocess.Popen(
            [str(d.venv / "bin" / "airflow"), "api-server", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, cwd=d.home, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/v2/version", timeout=2).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() - started > 240:
                        log.flush()
                        tail = (d.home / "api-server.log").read_text()[-5000:]
                        pytest.fail(f"api-server did not start:\n{tail}")
                    time.sleep(1)
            d.timings["api-server start"] = round(time.monotonic() - started, 1)
            request = urllib.request.Request(
                f"{base}/auth/token",
                method="POST",
                data=json.dumps({"username": "admin", "password": "install-test"}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                token = json.loads(response.read())["access_token"]
            yield _Api(base, token)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _airflow_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


def _pyproject_version() -> str:
    import tomllib

    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])
