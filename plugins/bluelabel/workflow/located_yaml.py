"""YAML to plain data, keeping the line and column of every key and value.

PyYAML's ``compose`` gives nodes with marks; this walks them into dicts/lists/scalars and a
table ``path -> Mark`` so that validation errors can point at the exact line. Dates become
ISO strings, so the result is JSON-shaped and can be checked against the JSON Schema.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
# libyaml (C) composes ~10x faster than pure Python; both give nodes with marks.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class LocatedData:
    """Loaded YAML plus where each value (``values``) and each mapping key (``keys``) starts."""

    data: Any
    values: dict[Path_, Mark] = field(default_factory=dict)
    keys: dict[Path_, Mark] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path_, Mark]] = field(default_factory=list)

    def mark(self, path: Path_, *, key: bool = False) -> Mark:
        """Where ``path`` starts: its key (``key=True``, for mappings) or its value; a parent's
        mark when the path does not exist (e.g. a missing key)."""
        if key and path in self.keys:
            return self.keys[path]
        probe = path
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Mark(1, 1))


class YamlSyntaxError(Exception):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.mark = mark


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


#: Values a workflow file may expand to (aliases repeated inside aliases multiply them:
#: a 2 KB file of 9 levels of 10 aliases stands for a billion values).
MAX_VALUES = 100_000
#: Nesting a workflow file may have.
MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Budget:
    def __init__(self) -> None:
        self.values = 0


def load_located(text: str) -> LocatedData:
    """Parse ``text`` (one YAML document). Raises :class:`YamlSyntaxError` with line/column,
    also when aliases expand the document past :data:`MAX_VALUES` values."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        context = exc.context or ""
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            start = exc.context_mark
            context += f" started on line {start.line + 1}, column {start.column + 1}:"
        reason = " ".join(filter(None, [context, exc.problem]))
        raise YamlSyntaxError(f"YAML syntax error: {reason}", where) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", Mark(1, 1)) from None
    except RecursionError:
        raise YamlSyntaxError("YAML error: the document nests too deeply", Mark(1, 1)) from None
    located = LocatedData(data=None)
    if node is None:
        return located
    constructor = yaml.SafeLoader("")
    try:
        located.data = _walk(node, (), located, constructor, _Budget(), 0)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlSyntaxError(f"YAML error: {exc.problem}", where) from None
    return located


def _walk(
    node: yaml.Node,
    path: Path_,
    located: LocatedData | None,
    constructor: yaml.SafeLoader,
    budget: _Budget,
    depth: int,
) -> Any:
    budget.values += 1
    if budget.values > MAX_VALUES:
        raise YamlSyntaxError(
            f"YAML error: the document expands to more than {MAX_VALUES:,} values (aliases "
            "repeated inside aliases?); write the values out or use fewer aliases",
            _mark(node),
        )
    if depth > MAX_DEPTH:
        raise YamlSyntaxError(f"YAML error: nested more than {MAX_DEPTH} levels", _mark(node))
    if located is not None:
        located.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:  # YAML merge keys (<<), expanded under the budget
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise YamlSyntaxError(
                            "YAML error: '<<' merges mappings only", _mark(source)
                        )
                    value = _walk(source, path, None, constructor, budget, depth + 1)
                    for key, item in value.items():
                        merged.setdefault(key, item)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSyntaxError("YAML error: a mapping key must be a scalar", _mark(key_node))
            key = constructor.construct_object(key_node, deep=True)
            key = _jsonable(key) if not isinstance(key, (str, int)) else key
            child = (*path, key)
            if located is not None:
                if key in result:
                    located.duplicate_keys.append((child, _mark(key_node)))
                located.keys[child] = _mark(key_node)
            result[key] = _walk(value_node, child, located, constructor, budget, depth + 1)
        return {**merged, **result}
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, (*path, i), located, constructor, budget, depth + 1)
            for i, item in enumerate(node.value)
        ]
    return _jsonable(constructor.construct_object(node, deep=True))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
