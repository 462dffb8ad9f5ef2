"""What validation reports: one :class:`Problem` per thing wrong, each with its line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bluelabel.errors import BluelabelError


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a workflow file. ``str()`` is the ``FILE:LINE: message`` line."""

    file: str
    line: int
    column: int
    message: str
    step: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class WorkflowError(BluelabelError):
    """A workflow file is invalid; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
