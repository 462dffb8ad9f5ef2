"""The distribution under test: built once per session from this checkout with uv (``uv
build``: the sdist, then the wheel from the sdist, as ``make dist`` does), or the files
``BLUELABEL_DIST`` names (a folder holding one .whl and one .tar.gz, e.g. ``dist/``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    given = os.environ.get("BLUELABEL_DIST")
    if given:
        out = Path(given).resolve()
    else:
        uv = shutil.which("uv")
        assert uv, "uv is needed to build the distribution (https://docs.astral.sh/uv/)"
        out = tmp_path_factory.mktemp("dist")
        build = subprocess.run(
            [uv, "build", "-q", "--out-dir", str(out), str(REPO)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist)
