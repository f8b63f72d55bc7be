"""PNG plots of the data, the training curves and the confusion matrices.

Figures are built with `matplotlib.figure.Figure` instead of pyplot, so no GUI
backend or global figure state is involved and the functions are safe in tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from training.trainer import EpochRecord


def plot_label_distribution(
    counts: Mapping[str, Mapping[str, int]], path: Path
) -> None:
    """Draw one bar chart per entry of `counts` (category, sentiment, cell)."""
    figure = Figure(figsize=(5 * len(counts), 4), layout="constrained")
    axes = figure.subplots(1, len(counts), squeeze=False)[0]
    for ax, (title, values) in zip(axes, counts.items(), strict=True):
        positions = range(len(values))
        ax.bar(positions, list(values.values()), color="tab:blue")
        ax.set_xticks(positions, list(values), rotation=30, ha="right")
        ax.set_title(f"rows per {title}")
        ax.set_ylabel("rows")
    figure.savefig(path, dpi=100)


def plot_length_distribution(
    characters: Sequence[int], tokens: Sequence[int], path: Path
) -> None:
    """Draw histograms of text length in characters and in tokens."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    char_ax, token_ax = figure.subplots(1, 2)
    char_ax.hist(characters, bins=30, color="tab:blue")
    char_ax.set_title("text length")
    char_ax.set_xlabel("characters")
    char_ax.set_ylabel("texts")
    token_ax.hist(tokens, bins=30, color="tab:orange")
    token_ax.set_title("tokens after preprocessing")
    token_ax.set_xlabel("tokens")
    token_ax.set_ylabel("texts")
    figure.savefig(path, dpi=100)


def plot_training_curves(history: Sequence[EpochRecord], path: Path) -> None:
    """Draw loss and both task accuracies per epoch, train and validation."""
    epochs = [record.epoch for record in history]
    figure = Figure(figsize=(15, 4), layout="constrained")
    loss_ax, category_ax, sentiment_ax = figure.subplots(1, 3)
    panels = (
        (loss_ax, "combined loss", "train_loss", "val_loss"),
        (
            category_ax,
            "category accuracy",
            "train_category_accuracy",
            "val_category_accuracy",
        ),
        (
            sentiment_ax,
            "sentiment accuracy",
            "train_sentiment_accuracy",
            "val_sentiment_accuracy",
        ),
    )
    for ax, title, train_field, val_field in panels:
        ax.plot(epochs, [getattr(r, train_field) for r in history], label="train")
        ax.plot(epochs, [getattr(r, val_field) for r in history], label="validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.legend()
    figure.savefig(path, dpi=100)


def plot_confusion_matrix(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str, path: Path
) -> None:
    """Draw a confusion matrix with true labels as rows and predictions as columns."""
    size = 1.4 * len(labels) + 2.5
    figure = Figure(figsize=(size, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    peak = max((max(row) for row in matrix), default=0)
    for row, values in enumerate(matrix):
        for column, value in enumerate(values):
            color = "white" if peak and value > peak / 2 else "black"
            ax.text(column, row, str(value), ha="center", va="center", color=color)
    figure.savefig(path, dpi=100)
