"""Exceptions raised by the worker package.

Tree:
    WorkerError
    ├── SettingsError
    ├── StartupError
    ├── DeliveryError
    ├── PredictionError
    │   └── ModelProcessError
    └── InvalidRecordError
"""

from __future__ import annotations


class WorkerError(Exception):
    """Base class for every error raised by the worker package."""


class SettingsError(WorkerError):
    """A setting from the command line or the environment is invalid."""


class StartupError(WorkerError):
    """The worker cannot start: broker, topics or model artifacts are unusable."""


class DeliveryError(WorkerError):
    """Records could not be delivered to Kafka after every retry.

    The worker stops without committing the offsets of the batch, so the records are
    consumed again after a restart.
    """


class PredictionError(WorkerError):
    """The model fails on every record of a batch, so the model itself is broken.

    The worker stops without committing the batch instead of dead-lettering the
    whole stream.
    """


class ModelProcessError(PredictionError):
    """The child process that runs the model has exited.

    No record is to blame, so the worker stops without committing the batch.
    """


class InvalidRecordError(WorkerError):
    """An input record cannot be classified and belongs in the dead-letter topic."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")
