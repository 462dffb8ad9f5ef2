"""The package's shape: no import circle (lazy imports inside functions included), no module
over the size a reader takes in at once, the Airflow-free layers free of Airflow."""

from __future__ import annotations

from devtools.structure import (
    PACKAGE,
    cycles,
    external_imports,
    import_graph,
    package,
    packages,
)

MAX_LINES = 400
#: The packages from the bottom up: a module imports only from its own package or a lower
#: layer. Every import counts: at the top, inside a function, and type-only.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "bluelabel",
        "bluelabel.errors",
        "bluelabel.booleans",
        "bluelabel.config_keys",
        "bluelabel.timeparse",
        "bluelabel.runstats",
        "bluelabel.watchdog",
    ),
    ("bluelabel.locations", "bluelabel.cfgfile", "bluelabel.ports"),
    ("bluelabel.config",),
    ("bluelabel.store", "bluelabel.render"),
    ("bluelabel.agents",),
    ("bluelabel.workflow",),
    # the Airflow layer
    ("bluelabel.hooks", "bluelabel.ui_paths", "bluelabel.version_compat"),
    ("bluelabel.airflow_ports", "bluelabel.metrics"),
    ("bluelabel.operators",),
    ("bluelabel.factory", "bluelabel.web", "bluelabel.provider"),
    ("bluelabel.cli", "bluelabel.plugin", "bluelabel.worker_preload"),
)
#: Layers that import no Airflow at all (lazy and type-only imports included): what they need
#: of Airflow comes through bluelabel.ports.
AIRFLOW_FREE = (
    *LAYERS[0],
    "bluelabel.locations",
    "bluelabel.cfgfile",
    "bluelabel.ports",
    "bluelabel.config",
    "bluelabel.store",
    "bluelabel.render",
    "bluelabel.agents",
    "bluelabel.workflow",
)


def test_no_import_circle() -> None:
    graph = import_graph()
    assert cycles(graph) == []
    assert cycles(packages(graph)) == []  # nor between sub-packages
    assert cycles(import_graph(PACKAGE.parents[1] / "devtools")) == []  # nor in the dev tools


def test_every_import_runs_down_the_layers() -> None:
    layer = {name: rank for rank, names in enumerate(LAYERS) for name in names}
    graph = packages(import_graph())
    assert set(graph) <= set(layer), f"put {sorted(set(graph) - set(layer))} in a layer"
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if layer[target] >= layer[source]
    )
    assert upward == []


def test_the_airflow_free_layers_import_no_airflow() -> None:
    offenders = sorted(
        module
        for module, names in external_imports().items()
        if package(module) in AIRFLOW_FREE and "airflow" in names
    )
    assert offenders == []


def test_no_module_is_too_long() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


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
