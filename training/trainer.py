"""Training loop with gradient clipping, learning-rate decay and early stopping."""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from training.config import TrainingConfig
from training.evaluation import LossWeights, combined_loss, evaluate
from training.loaders import Batch

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """Losses and accuracies of one epoch.

    Training values are running means over the epoch's batches with dropout active.
    Validation values come from a full pass in eval mode.
    """

    epoch: int
    train_loss: float
    train_category_accuracy: float
    train_sentiment_accuracy: float
    val_loss: float
    val_category_accuracy: float
    val_sentiment_accuracy: float
    learning_rate: float
    seconds: float

    def format_line(self, max_epochs: int) -> str:
        """Return the fixed-width progress line logged after the epoch."""
        width = len(str(max_epochs))
        return (
            f"epoch {self.epoch:>{width}}/{max_epochs} | "
            f"train loss {self.train_loss:.4f} | val loss {self.val_loss:.4f} | "
            f"val acc category {self.val_category_accuracy:.3f} "
            f"sentiment {self.val_sentiment_accuracy:.3f} | "
            f"lr {self.learning_rate:.1e} | {self.seconds:5.1f}s"
        )


@dataclass(frozen=True, slots=True)
class FitResult:
    """History of a training run and where its best checkpoint came from."""

    history: list[EpochRecord]
    best_epoch: int
    best_val_loss: float
    stopped_early: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-serialisable dict."""
        return {
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "epochs_run": len(self.history),
            "stopped_early": self.stopped_early,
            "training_seconds": self.seconds,
            "history": [asdict(record) for record in self.history],
        }


def fit(
    network: nn.Module,
    train_loader: DataLoader[Batch],
    val_loader: DataLoader[Batch],
    config: TrainingConfig,
) -> FitResult:
    """Train `network` in place and restore the weights with the lowest val loss.

    Each epoch:
    1. one pass over the training batches with AdamW and gradient clipping;
    2. a validation pass in eval mode;
    3. a learning-rate step of ReduceLROnPlateau on the validation loss;
    4. a checkpoint copy when the validation loss improved, or a patience count.
    Training stops after `config.patience` epochs without improvement.
    """
    weights = LossWeights(config.category_loss_weight, config.sentiment_loss_weight)
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=config.lr_factor, patience=config.lr_patience
    )
    history: list[EpochRecord] = []
    best_state = copy.deepcopy(network.state_dict())
    best_val_loss = float("inf")
    best_epoch = 0
    epochs_without_improvement = 0
    started = time.perf_counter()

    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        train_loss, train_category, train_sentiment = _train_epoch(
            network, train_loader, optimizer, weights, config.clip_norm
        )

        validation = evaluate(network, val_loader, weights)

        scheduler.step(validation.loss)

        if validation.loss < best_val_loss:
            best_val_loss = validation.loss
            best_epoch = epoch
            best_state = copy.deepcopy(network.state_dict())
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1

        record = EpochRecord(
            epoch=epoch,
            train_loss=train_loss,
            train_category_accuracy=train_category,
            train_sentiment_accuracy=train_sentiment,
            val_loss=validation.loss,
            val_category_accuracy=validation.category_accuracy,
            val_sentiment_accuracy=validation.sentiment_accuracy,
            learning_rate=optimizer.param_groups[0]["lr"],
            seconds=time.perf_counter() - epoch_started,
        )
        history.append(record)
        logger.info(record.format_line(config.epochs))
        if epochs_without_improvement >= config.patience:
            logger.info(
                "early stop after epoch %d: no val loss improvement for %d epochs",
                epoch,
                config.patience,
            )
            break

    network.load_state_dict(best_state)
    network.eval()
    logger.info(
        "restored best checkpoint epoch=%d val_loss=%.4f", best_epoch, best_val_loss
    )
    return FitResult(
        history=history,
        best_epoch=best_epoch,
        best_val_loss=best_val_loss,
        stopped_early=len(history) < config.epochs,
        seconds=time.perf_counter() - started,
    )


def _train_epoch(
    network: nn.Module,
    loader: DataLoader[Batch],
    optimizer: torch.optim.Optimizer,
    weights: LossWeights,
    clip_norm: float,
) -> tuple[float, float, float]:
    """Run one training pass and return the mean loss and both running accuracies."""
    network.train()
    total_loss = 0.0
    category_correct = 0
    sentiment_correct = 0
    count = 0
    for batch in loader:
        optimizer.zero_grad(set_to_none=True)
        category_logits, sentiment_logits = network(batch.token_ids, batch.lengths)
        loss = combined_loss(category_logits, sentiment_logits, batch, weights)
        loss.backward()
        # LSTMs can produce rare large gradients on long sequences. Clipping the
        # global norm keeps one such batch from undoing earlier progress.
        nn.utils.clip_grad_norm_(network.parameters(), clip_norm)
        optimizer.step()

        size = len(batch.lengths)
        total_loss += float(loss.detach()) * size
        category_correct += int((category_logits.argmax(1) == batch.category).sum())
        sentiment_correct += int((sentiment_logits.argmax(1) == batch.sentiment).sum())
        count += size
    return total_loss / count, category_correct / count, sentiment_correct / count
