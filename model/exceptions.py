"""Exceptions raised by the model package.

Tree:
    ModelError
    └── ArtifactError
"""

from __future__ import annotations

from pathlib import Path


class ModelError(Exception):
    """Base class for every error raised by the model package."""


class ArtifactError(ModelError):
    """An artifact file is missing, corrupt or from another schema version."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"invalid model artifact {self.path}: {problem}")
