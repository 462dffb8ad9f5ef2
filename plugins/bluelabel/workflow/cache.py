"""On-disk cache of validated workflows, keyed on the content of every file they come from.

Validation (YAML composing, the JSON Schema, file checks) costs a few milliseconds per file;
Airflow re-parses every DAG file every ``min_file_process_interval``. A hit costs one small
JSON read plus re-hashing the YAML and its input files, so an edit to any of them -- the
workflow or an ``input_file`` it references (or the PDF that names) -- is a miss. Invalid
workflows are never cached: their errors are recomputed, and stay exact.

Location: ``[bluelabel] workflow_cache`` (default ``$AIRFLOW_HOME/bluelabel/workflow-cache``;
``off`` disables it), passed in by the caller.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bluelabel import __version__
from bluelabel.agents.registry import agent_names
from bluelabel.workflow.model import Step, Workflow
from bluelabel.workflow.policy import WorkflowPolicy
from bluelabel.workflow.problems import Problem
from bluelabel.workflow.validate import check_workflow

log = logging.getLogger(__name__)
#: Bumped whenever the cached model's shape changes, so old entries are never misread.
CACHE_FORMAT = 4


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        return _sha(path.read_bytes())
    except OSError:
        return None


def _encode(value: Any) -> Any:
    """JSON for the model's typed values (times, intervals, paths)."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": value.total_seconds()}
    if isinstance(value, Path):
        return {"$path": str(value)}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
        if "$timedelta" in obj:
            return timedelta(seconds=obj["$timedelta"])
        if "$path" in obj:
            return Path(obj["$path"])
    return obj


def _from_json(data: dict[str, Any]) -> Workflow:
    steps = tuple(
        Step(
            **{
                **step,
                "input_from": tuple(step["input_from"]),
                "outputs": tuple(step["outputs"]),
                "outlets": tuple(step["outlets"]),
            }
        )
        for step in data["steps"]
    )
    known = {f.name for f in fields(Workflow)}
    values = {k: v for k, v in data.items() if k in known}
    values.update(steps=steps, inputs=tuple(data["inputs"]), tags=tuple(data["tags"]))
    return Workflow(**values)


def cached_check(
    path: str | os.PathLike[str], *, policy: WorkflowPolicy, cache_dir: Path | None
) -> tuple[Workflow | None, list[Problem]]:
    """:func:`check_workflow`, answered from ``cache_dir`` when no source file changed."""
    file_path = Path(path).expanduser().absolute()
    try:
        text = file_path.read_bytes() if cache_dir is not None else b""
    except OSError:
        cache_dir = None  # let check_workflow report it
    if cache_dir is None:
        return check_workflow(path, policy=policy)
    settings = policy.settings
    key = _sha(
        json.dumps(
            [
                __version__,
                CACHE_FORMAT,
                agent_names(),
                str(file_path),
                str(policy.root_for(file_path)),
                [str(r) for r in policy.roots_for(file_path)],
                policy.max_bytes,
                # option ceilings come from the settings: a change re-validates
                repr(settings.effective()) if settings is not None else None,
            ]
        ).encode()
        + b"\0"
        + text
    )
    entry = cache_dir / f"{key}.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        cached = json.loads(entry.read_text(encoding="utf-8"), object_hook=_decode)
        if all(_file_sha(Path(p)) == sha for p, sha in cached["input_hashes"]):
            return _from_json(cached["workflow"]), []
    try:
        decoded: str | None = text.decode("utf-8")
    except UnicodeDecodeError:
        decoded = None  # check_workflow reads it again and reports the error
    workflow, problems = check_workflow(path, policy=policy, text=decoded)
    if workflow is not None:
        # The YAML's own bytes are in the key; the files it references are checked on a hit.
        hashes = [[str(p), _file_sha(p)] for p in workflow.inputs if p != file_path]
        _write(entry, {"input_hashes": hashes, "workflow": asdict(workflow)})
    return workflow, problems


def _write(entry: Path, data: dict[str, Any]) -> None:
    """Best effort: a cache that cannot be written only costs the next parse its speed."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".entry-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, default=_encode)
        os.replace(tmp, entry)
    except OSError as exc:
        log.debug("workflow cache not written (%s): %s", entry, exc)
