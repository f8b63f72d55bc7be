"""Exceptions raised by the training package.

Tree:
    TrainingError
    └── DataError
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base class for every error raised by the training package."""


class DataError(TrainingError):
    """The training sheet has a missing column, an unknown label or too few rows."""
