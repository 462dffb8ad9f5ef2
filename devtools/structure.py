"""The package's import graph, lazy imports inside functions included (``TYPE_CHECKING``
imports left out): ``python -m devtools.structure [--packages] > graph.dot`` draws it (Graphviz
``dot -Tsvg``), and the structure test checks it has no circle."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "bluelabel"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # TYPE_CHECKING imports are not imports at run time: leave them out
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        checking = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in checking or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
            )
            targets.update(t for t in names if t in modules and t != name)
        graph[name] = targets
    return graph


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


def packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between sub-packages (``bluelabel.agents``, ``bluelabel.web``, ...)."""

    def package(name: str) -> str:
        return ".".join(name.split(".")[:2])

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
