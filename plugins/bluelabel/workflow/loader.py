"""YAML to plain data, keeping the line and column of every key and value.

PyYAML's ``compose`` gives nodes with marks; this walks them into dicts/lists/scalars and a
table ``path -> Mark`` so that validation errors can point at the exact line. Dates become
ISO strings, so the result is JSON-shaped and can be checked against the JSON Schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
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


def load_located(text: str) -> LocatedData:
    """Parse ``text`` (one YAML document). Raises :class:`YamlSyntaxError` with line/column."""
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
    located = LocatedData(data=None)
    if node is None:
        return located
    constructor = yaml.SafeLoader("")
    try:
        located.data = _walk(node, (), located, constructor)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlSyntaxError(f"YAML error: {exc.problem}", where) from None
    return located


def _walk(node: yaml.Node, path: Path_, located: LocatedData, constructor: yaml.SafeLoader) -> Any:
    located.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)  # YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise YamlSyntaxError("YAML error: a mapping key must be a scalar", _mark(key_node))
            key = _jsonable(key) if not isinstance(key, (str, int)) else key
            child = (*path, key)
            if key in result:
                located.duplicate_keys.append((child, _mark(key_node)))
            located.keys[child] = _mark(key_node)
            result[key] = _walk(value_node, child, located, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), located, constructor) for i, item in enumerate(node.value)]
    return _jsonable(constructor.construct_object(node, deep=True))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
