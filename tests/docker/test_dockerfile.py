"""docker/Dockerfile without a Docker engine (there is none here): parsed, and held to the
project's own files. It must build FROM the official Airflow image of the Airflow
constraints.txt pins, on a Python the package declares, install the wheel ``make dist``
writes (keeping the image's Airflow), and put the example workflows into the DAGs folder the
compose file configures, the way the docs tell a user to."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest
import tomllib
import yaml

from tests.conftest import REPO

DOCKERFILE = REPO / "docker" / "Dockerfile"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = "\n".join(
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    joined = re.sub(r"\\\n\s*", " ", text)
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def args() -> dict[str, str]:
    found = {}
    for keyword, rest in instructions():
        if keyword == "ARG" and "=" in rest:
            name, _, default = rest.partition("=")
            found[name] = default
    return found


def pinned(name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)$", (REPO / "constraints.txt").read_text(), re.M)
    assert match, f"{name} is not pinned in constraints.txt"
    return match.group(1)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker" / "docker-compose.yaml").read_text())
    return data


def test_the_base_image_is_the_official_airflow_image_of_the_pinned_version() -> None:
    (base,) = [rest for keyword, rest in instructions() if keyword == "FROM"]
    assert base == "apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}"
    assert args()["AIRFLOW_VERSION"] == pinned("apache-airflow")
    declared = [
        c.rsplit(" :: ", 1)[1]
        for c in PYPROJECT["project"]["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert args()["PYTHON_VERSION"] in declared


def test_it_installs_the_wheel_make_dist_writes_and_keeps_the_images_airflow() -> None:
    name = PYPROJECT["project"]["name"].replace("-", "_")
    wheel = f"dist/{name}-{PYPROJECT['project']['version']}-py3-none-any.whl"
    copies = [rest.split()[-2] for keyword, rest in instructions() if keyword == "COPY"]
    assert any(fnmatch.fnmatch(wheel, pattern) for pattern in copies), copies
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^dist:", makefile, re.M) and "--out-dir dist" in makefile
    (install,) = [r for k, r in instructions() if k == "RUN" and "pip install" in r]
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install
    assert re.search(r"/opt/bluelabel/bluelabel_airflow-\*-py3-none-any\.whl", install)
    # the pins it takes from constraints.txt are the package's own dependencies
    names = re.search(r"\^\(([^)]*)\)==", install)
    assert names
    dependencies = {
        re.split(r"[<>=\[ ]", d)[0].lower() for d in PYPROJECT["project"]["dependencies"]
    }
    for dependency in names.group(1).split("|"):
        assert dependency in dependencies, dependency
        pinned(dependency)


def test_the_example_workflows_go_where_compose_looks_for_dags(compose: dict[str, Any]) -> None:
    dags = compose["x-airflow-common"]["environment"]["AIRFLOW__CORE__DAGS_FOLDER"]
    steps = instructions()
    copy = ("RUN", f"bluelabel examples --dags-folder {dags}")
    assert copy in steps
    # run as the image's user (airflow), before the Dockerfile switches to root
    assert ("USER", "root") not in steps[: steps.index(copy)]
