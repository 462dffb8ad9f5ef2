"""What a workflow file may refer to: the root its relative paths resolve against, the folders
its paths may point into, its size limit, and the ceilings of the agents' options."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bluelabel.config import Settings

DEFAULT_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class WorkflowPolicy:
    """``root``: relative paths resolve against it (``None``: each file's own folder)."""

    root: Path | None = None
    allowed_roots: tuple[Path, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    #: the deployment's settings: ceilings of limit options (``None``: no ceilings)
    settings: Settings | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, root: str | os.PathLike[str] | None = None
    ) -> WorkflowPolicy:
        """The policy the DAG factory and ``bluelabel validate`` both apply."""
        chosen = Path(root).expanduser().resolve() if root else settings.workflow_root
        return cls(chosen, settings.run_roots, settings.max_workflow_bytes, settings)

    def root_for(self, path: Path) -> Path:
        return (self.root or path.parent).expanduser().resolve()

    def roots_for(self, path: Path) -> list[Path]:
        base = self.root_for(path)
        return [base, *(r for r in self.allowed_roots if r != base)]
