"""The Kafka worker: consumes feedback records, classifies them, publishes the results.

Run it with ``python -m worker``, or embed it with ``Worker(settings, predictor=...)``.
"""

from worker.app import Worker, WorkerTotals
from worker.classifier import Classifier, PassthroughClassifier, load_predictor
from worker.exceptions import (
    DeliveryError,
    InvalidRecordError,
    PredictionError,
    SettingsError,
    StartupError,
    WorkerError,
)
from worker.settings import WorkerSettings

__all__ = [
    "Classifier",
    "DeliveryError",
    "InvalidRecordError",
    "PassthroughClassifier",
    "PredictionError",
    "SettingsError",
    "StartupError",
    "Worker",
    "WorkerError",
    "WorkerSettings",
    "WorkerTotals",
    "load_predictor",
]
