"""The model stage of the worker, behind a small protocol.

`Classifier` is the part of `model.Predictor` the worker calls. Any object with the
same attributes can replace it, for example `PassthroughClassifier` when a benchmark
measures the Kafka path without the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from worker.exceptions import StartupError
from worker.records import PredictionLike
from worker.settings import WorkerSettings


class Classifier(Protocol):
    """A model that classifies a batch of texts in one call."""

    @property
    def model_version(self) -> str: ...
    @property
    def category_labels(self) -> Sequence[str]: ...
    @property
    def sentiment_labels(self) -> Sequence[str]: ...

    def predict(self, texts: Sequence[str]) -> Sequence[PredictionLike]:
        """Return one prediction per text, in the order of ``texts``."""
        ...


def load_predictor(settings: WorkerSettings) -> Classifier:
    """Load `model.Predictor` from ``settings.artifacts``.

    With ``settings.model_process`` the model runs in a child process, behind a
    `worker.model_process.ProcessClassifier`; pass the result to `close_classifier`
    when done.

    Raises:
        StartupError: naming the directory, the variant and the problem.
    """
    if settings.model_process:
        from worker.model_process import ProcessClassifier

        return ProcessClassifier(settings)
    # Imported here because the model package pulls in torch, which tests of the
    # Kafka path and `--help` do not need.
    import torch

    from model import ArtifactError, Predictor

    # PyTorch defaults to one thread per core. Its OpenMP workers spin while they
    # wait, so they fight the Kafka client threads for the cores and a batch can take
    # many times longer than with a single thread.
    torch.set_num_threads(settings.inference_threads)
    try:
        return Predictor.load(settings.artifacts, variant=settings.model_variant)
    # Predictor.load raises ValueError for a variant it does not know.
    except (ArtifactError, OSError, ValueError) as exc:
        raise StartupError(
            f"cannot load the model from {str(settings.artifacts)!r} "
            f"(variant {settings.model_variant!r}): {exc}. Point --artifacts "
            "(WORKER_ARTIFACTS) at a directory written by training.train_artifacts"
        ) from exc


def close_classifier(classifier: Classifier) -> None:
    """Stop what ``classifier`` runs besides this process, such as a child process."""
    close = getattr(classifier, "close", None)
    if callable(close):
        close()


@dataclass(frozen=True)
class FixedPrediction:
    """A prediction with given labels, for `PassthroughClassifier`."""

    category: str
    category_confidence: float
    sentiment: str
    sentiment_confidence: float
    probabilities: Mapping[str, Mapping[str, float]]
    truncated: bool = False


@dataclass(frozen=True)
class PassthroughClassifier:
    """Returns the same prediction for every text, without running a model.

    It replaces the model stage when a benchmark measures the cost of consuming,
    producing and committing alone.
    """

    model_version: str = "passthrough"
    category_labels: Sequence[str] = ("Billing",)
    sentiment_labels: Sequence[str] = ("Negative",)
    _prediction: FixedPrediction = field(init=False, repr=False)

    def __post_init__(self) -> None:
        prediction = FixedPrediction(
            category=self.category_labels[0],
            category_confidence=1.0,
            sentiment=self.sentiment_labels[0],
            sentiment_confidence=1.0,
            probabilities={
                "category": {self.category_labels[0]: 1.0},
                "sentiment": {self.sentiment_labels[0]: 1.0},
            },
        )
        object.__setattr__(self, "_prediction", prediction)

    def predict(self, texts: Sequence[str]) -> Sequence[PredictionLike]:
        """Return the fixed prediction once per text."""
        return [self._prediction] * len(texts)
