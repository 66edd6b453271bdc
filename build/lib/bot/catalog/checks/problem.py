"""What every check reports, and the callback a check reports it through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Add = Callable[[str, str], None]
"""Reports one problem of the file being checked: ``add(path, message)``."""


@dataclass(frozen=True)
class Problem:
    """One thing to fix: which file, where in it, and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"
