"""Evaluation of a network on a data loader, and classification metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from torch import nn
from torch.utils.data import DataLoader

from training.loaders import Batch


@dataclass(frozen=True, slots=True)
class LossWeights:
    """Weights of the two cross-entropy terms in the combined loss."""

    category: float = 1.0
    sentiment: float = 1.0


def combined_loss(
    category_logits: torch.Tensor,
    sentiment_logits: torch.Tensor,
    batch: Batch,
    weights: LossWeights,
) -> torch.Tensor:
    """Return the weighted sum of the category and sentiment cross-entropies."""
    category_loss = nn.functional.cross_entropy(category_logits, batch.category)
    sentiment_loss = nn.functional.cross_entropy(sentiment_logits, batch.sentiment)
    return weights.category * category_loss + weights.sentiment * sentiment_loss


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """Mean loss and the true and predicted label indices of both tasks."""

    loss: float
    category_true: list[int]
    category_pred: list[int]
    sentiment_true: list[int]
    sentiment_pred: list[int]

    @property
    def category_accuracy(self) -> float:
        """Share of texts whose category was predicted correctly."""
        return float(accuracy_score(self.category_true, self.category_pred))

    @property
    def sentiment_accuracy(self) -> float:
        """Share of texts whose sentiment was predicted correctly."""
        return float(accuracy_score(self.sentiment_true, self.sentiment_pred))


def evaluate(
    network: nn.Module, loader: DataLoader[Batch], weights: LossWeights
) -> EvaluationResult:
    """Run `network` in eval mode over `loader` and collect predictions."""
    network.eval()
    total_loss = 0.0
    count = 0
    result: dict[str, list[int]] = {
        "category_true": [],
        "category_pred": [],
        "sentiment_true": [],
        "sentiment_pred": [],
    }
    with torch.inference_mode():
        for batch in loader:
            category_logits, sentiment_logits = network(batch.token_ids, batch.lengths)
            loss = combined_loss(category_logits, sentiment_logits, batch, weights)
            total_loss += float(loss) * len(batch.lengths)
            count += len(batch.lengths)
            result["category_true"] += batch.category.tolist()
            result["category_pred"] += category_logits.argmax(dim=1).tolist()
            result["sentiment_true"] += batch.sentiment.tolist()
            result["sentiment_pred"] += sentiment_logits.argmax(dim=1).tolist()
    return EvaluationResult(loss=total_loss / max(count, 1), **result)


def task_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]
) -> dict[str, Any]:
    """Return accuracy, macro-F1, per-label F1 and the confusion matrix of one task.

    Rows of the confusion matrix are true labels and columns predicted labels, both
    in the order of `labels`.
    """
    indices = list(range(len(labels)))
    per_label = f1_score(y_true, y_pred, labels=indices, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=indices, average="macro", zero_division=0)
        ),
        "f1_per_label": dict(zip(labels, map(float, per_label), strict=True)),
        "labels": list(labels),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=indices).tolist(),
    }


def evaluation_metrics(
    result: EvaluationResult,
    category_labels: Sequence[str],
    sentiment_labels: Sequence[str],
) -> dict[str, Any]:
    """Return the loss and `task_metrics` of both tasks for one split."""
    return {
        "loss": result.loss,
        "category": task_metrics(
            result.category_true, result.category_pred, category_labels
        ),
        "sentiment": task_metrics(
            result.sentiment_true, result.sentiment_pred, sentiment_labels
        ),
    }
