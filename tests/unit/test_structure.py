"""The package's shape: no import circle (lazy imports inside functions included), no module
over the size a reader takes in at once, the Airflow-free layers free of Airflow."""

from __future__ import annotations

import ast

from devtools.structure import PACKAGE, cycles, import_graph, packages

MAX_LINES = 400
#: Layers that must not import Airflow (the agents, the store, the workflow format).
AIRFLOW_FREE = ("agents", "store", "workflow", "render", "runstats", "config_keys", "errors")


def test_no_import_circle() -> None:
    graph = import_graph()
    assert cycles(graph) == []
    assert cycles(packages(graph)) == []  # nor between sub-packages


def test_the_layers_import_one_way() -> None:
    layers = packages(import_graph())
    # the Airflow-free core never reaches up into the Airflow layer
    for core in ("bluelabel.agents", "bluelabel.store", "bluelabel.workflow", "bluelabel.render"):
        assert not layers.get(core, set()) & {
            "bluelabel.operators",
            "bluelabel.factory",
            "bluelabel.web",
            "bluelabel.plugin",
            "bluelabel.cli",
            "bluelabel.metrics",
        }, core


def test_no_module_is_too_long() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_airflow_free_layers_import_no_airflow() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0].removesuffix(".py") not in AIRFLOW_FREE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in top_level:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            offenders += [f"{relative}: {n}" for n in names if n.split(".")[0] == "airflow"]
    assert offenders == []


def test_no_script_shadows_a_standard_module() -> None:
    """A script's folder comes first on ``sys.path`` (and Airflow puts the DAG and plugin
    folders there): ``benchmarks/email.py`` once made ``import urllib.request`` in every
    benchmark import it instead of the standard ``email`` package."""
    import sys

    root = PACKAGE.parents[1]
    folders = ("benchmarks", "dags", "fuzz", "plugins", "devtools")
    shadows = [
        f"{folder}/{path.name}"
        for folder in folders
        for path in (root / folder).glob("*.py")
        if path.stem in sys.stdlib_module_names
    ]
    assert shadows == []
