"""What ``make dist`` builds: a wheel and an sdist that carry what a deployment needs (the UI
bundle, the workflow schema, the example workflows, ``py.typed``, the entry points Airflow
finds the plugin by), a range of Airflow rather than a pin, and nothing of the repository's
tests or tools; a build without the UI bundle fails, saying so."""

from __future__ import annotations

import email.parser
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib

from tests.conftest import REPO
from tests.install.conftest import Dist

PACKAGE = REPO / "plugins" / "bluelabel"
BUNDLE = PACKAGE / "web" / "static" / "bluelabel.js"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# Building the distribution takes 15-30 s; one xdist worker builds it for all of tests/install.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("install")]


def wheel_files(dist: Dist) -> dict[str, bytes]:
    with zipfile.ZipFile(dist.wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def dist_info(files: dict[str, bytes], name: str) -> str:
    (path,) = [p for p in files if p.endswith(f".dist-info/{name}")]
    return files[path].decode()


def test_the_wheel_carries_the_ui_bundle_schema_examples_and_py_typed(dist: Dist) -> None:
    files = wheel_files(dist)
    assert files["bluelabel/web/static/bluelabel.js"] == BUNDLE.read_bytes()
    assert {"bluelabel/web/static/icon.svg", "bluelabel/web/static/icon-dark.svg"} <= set(files)
    schema = files["bluelabel/workflow/workflow.schema.json"]
    assert schema == (PACKAGE / "workflow" / "workflow.schema.json").read_bytes()
    assert "bluelabel/py.typed" in files
    assert "bluelabel/agents/prompts/summarize.yaml" in files
    for workflow in sorted((REPO / "dags" / "workflows").glob("*.yaml")):
        assert files[f"bluelabel/examples/{workflow.name}"] == workflow.read_bytes()
    assert "Apache License" in dist_info(files, "licenses/LICENSE")


def test_the_wheel_has_every_module_and_nothing_of_the_repository(dist: Dist) -> None:
    files = wheel_files(dist)
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "plugins/bluelabel"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    modules = {p.removeprefix("plugins/") for p in tracked if p.endswith(".py")}
    assert len(modules) > 80
    assert modules - set(files) == set()
    tops = {name.split("/")[0] for name in files}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"bluelabel"}
    assert not [n for n in files if "__pycache__" in n or n.endswith(".pyc")]


def test_entry_points_are_the_ones_pyproject_declares(dist: Dist) -> None:
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(dist_info(wheel_files(dist), "entry_points.txt"))
    found = {section: dict(parser[section]) for section in parser.sections()}
    declared = PYPROJECT["project"]["entry-points"]
    assert found["airflow.plugins"] == {"bluelabel": "bluelabel.plugin:BluelabelPlugin"}
    assert found["apache_airflow_provider"] == declared["apache_airflow_provider"]
    assert found["bluelabel.agents"] == declared["bluelabel.agents"]
    assert found["console_scripts"] == {"bluelabel": "bluelabel.cli:main"}


def test_metadata_declares_a_range_of_airflow_and_the_tested_pythons(dist: Dist) -> None:
    metadata = email.parser.Parser().parsestr(dist_info(wheel_files(dist), "METADATA"))
    assert metadata["Version"] == PYPROJECT["project"]["version"]
    assert metadata["Name"] == "bluelabel-airflow"
    requires = metadata.get_all("Requires-Dist") or []
    (airflow,) = [r for r in requires if re.match(r"apache-airflow\s*[<>=(]", r)]
    assert ">=3.2.0" in airflow and "<4" in airflow and "==" not in airflow
    assert not [r for r in requires if "==" in r.split(";")[0]]  # pins: constraints.txt
    assert metadata["Requires-Python"] == ">=3.10"
    pythons = {
        c.rsplit(" :: ", 1)[1]
        for c in metadata.get_all("Classifier") or []
        if c.startswith("Programming Language :: Python :: 3.")
    }
    assert pythons == {"3.10", "3.11", "3.12", "3.13"}


def test_the_sdist_builds_the_same_package(dist: Dist) -> None:
    """The sdist holds the built bundle and the examples; the wheel above was built from it."""
    with tarfile.open(dist.sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
        bundle = archive.extractfile(
            next(m for m in archive.getmembers() if m.name.endswith("static/bluelabel.js"))
        )
        assert bundle is not None and bundle.read() == BUNDLE.read_bytes()
    assert {"LICENSE", "setup.py", "pyproject.toml", "MANIFEST.in"} <= names
    assert "plugins/bluelabel/examples/pdf_ingestion_digest.yaml" in names
    assert not [n for n in names if n.startswith(("tests/", "ui/", "benchmarks/", "devtools/"))]


def test_twine_check_passes(dist: Dist) -> None:
    twine = Path(sys.executable).parent / "twine"
    done = subprocess.run(
        [str(twine), "check", "--strict", str(dist.wheel), str(dist.sdist)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_build_without_the_ui_bundle_fails_and_says_so(tmp_path: Path) -> None:
    """A checkout where ``make install`` (the UI build) never ran."""
    uv = shutil.which("uv")
    assert uv
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-s"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for line in tracked:
        mode, _, _, path = line.split(maxsplit=3)
        if not path.startswith(("plugins/", "dags/", "build/", "pyproject.toml", "setup.",
                                "README", "LICENSE", "MANIFEST", "CHANGELOG")):  # fmt: skip
            continue
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = REPO / path
        if mode == "120000":  # the examples link
            target.symlink_to(source.readlink())
        else:
            shutil.copyfile(source, target)
    assert not (tmp_path / BUNDLE.relative_to(REPO)).exists()
    for kind in ("--wheel", "--sdist"):
        done = subprocess.run(
            [uv, "build", kind, "--out-dir", str(tmp_path / "out"), str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode != 0, kind
        assert "bluelabel.js is missing" in done.stderr, done.stderr[-2000:]
    assert not list(tmp_path.glob("out/*.whl")) + list(tmp_path.glob("out/*.tar.gz"))
