"""Build guards (everything else is declared in pyproject.toml).

A wheel or sdist without the built UI bundle installs a plugin whose Airflow UI views are
silently empty, so building one without it fails here, loudly. Editable installs (``make
install``) are exempt: ``make install`` builds the bundle after installing the package.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).parent
#: Built from ui/ by `make install` (npm ci && npm run build in ui/); git-ignored.
BUNDLE = Path("plugins/bluelabel/web/static/bluelabel.js")
#: The example workflows the package carries (plugins/bluelabel/examples links to them).
EXAMPLES = Path("plugins/bluelabel/examples")


def _require_built_files() -> None:
    bundle = HERE / BUNDLE
    if not bundle.is_file() or bundle.stat().st_size == 0:
        raise SystemExit(
            f"error: {BUNDLE} is missing: build the UI first (`make install`, or "
            "`npm ci && npm run build` in ui/); a package without it has empty UI views"
        )
    if not any((HERE / EXAMPLES).glob("*.yaml")):
        raise SystemExit(f"error: no example workflows in {EXAMPLES} (a link to dags/workflows)")


class BuildPyWithBundle(build_py):
    def run(self) -> None:
        if not self.editable_mode:
            _require_built_files()
        super().run()


class SdistWithBundle(sdist):
    def run(self) -> None:
        _require_built_files()
        super().run()


setup(cmdclass={"build_py": BuildPyWithBundle, "sdist": SdistWithBundle})
