"""The package's import graph, every import counted (lazy ones inside functions and type-only
ones under ``TYPE_CHECKING`` too): ``python -m devtools.structure [--packages] > graph.dot``
draws it (Graphviz ``dot -Tsvg``); the structure test checks it has no circle and that every
import runs down the layers."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "bluelabel"


def module_name(path: Path, package_dir: Path = PACKAGE) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports: at the top, inside functions (lazy) and under
    ``TYPE_CHECKING`` (type-only) alike, with ``from a import b`` also counted as ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def import_graph(package_dir: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (every kind of import: :func:`imports_of`)."""
    modules = {module_name(p, package_dir): p for p in package_dir.rglob("*.py")}
    return {
        name: {t for t in imports_of(path) if t in modules and t != name}
        for name, path in modules.items()
    }


def external_imports() -> dict[str, set[str]]:
    """Module -> the top-level names of what it imports from outside the package."""
    return {
        module_name(p): {t.split(".")[0] for t in imports_of(p) if not t.startswith("bluelabel")}
        for p in PACKAGE.rglob("*.py")
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                connect(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def package(name: str) -> str:
    """``bluelabel.agents.sandbox.worker`` -> ``bluelabel.agents``; top-level modules: their own."""
    return ".".join(name.split(".")[:2])


def packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between sub-packages (``bluelabel.agents``, ``bluelabel.web``, ...)."""

    out: dict[str, set[str]] = {}
    for source, targets in graph.items():
        out.setdefault(package(source), set()).update(
            package(t) for t in targets if package(t) != package(source)
        )
    return out


def main() -> int:
    """Print the graph as Graphviz DOT (``--packages``: between sub-packages)."""
    graph = import_graph()
    if "--packages" in sys.argv[1:]:
        graph = packages(graph)
    print("digraph bluelabel {\n  rankdir=LR; node [shape=box, fontsize=10];")
    for source in sorted(graph):
        for target in sorted(graph[source]):
            print(f'  "{source}" -> "{target}";')
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
