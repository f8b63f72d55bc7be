"""Label counts and text-length statistics of the training sheet."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.preprocessing import Preprocessor
from training.dataset import (
    CATEGORY_COLUMN,
    SENTIMENT_COLUMN,
    TEXT_COLUMN,
    LabelledData,
)
from training.plots import plot_label_distribution, plot_length_distribution

logger = logging.getLogger(__name__)

LABEL_PLOT_FILE = "label_distribution.png"
LENGTH_PLOT_FILE = "length_distribution.png"


def explore(
    data: LabelledData,
    preprocessor: Preprocessor,
    *,
    category_labels: Sequence[str],
    sentiment_labels: Sequence[str],
    plot_dir: Path | None = None,
) -> dict[str, Any]:
    """Return counts per label and per cell, length statistics and the drop report.

    With `plot_dir`, also write the label and length distributions there as PNG.
    """
    frame = data.frame
    characters = frame[TEXT_COLUMN].str.len().tolist()
    tokens = [len(preprocessor.tokenize(text)) for text in frame[TEXT_COLUMN]]
    counts = {
        "category": _counts(frame[CATEGORY_COLUMN], category_labels),
        "sentiment": _counts(frame[SENTIMENT_COLUMN], sentiment_labels),
        "cell": {
            f"{category} / {sentiment}": int(
                (
                    (frame[CATEGORY_COLUMN] == category)
                    & (frame[SENTIMENT_COLUMN] == sentiment)
                ).sum()
            )
            for category in category_labels
            for sentiment in sentiment_labels
        },
    }
    summary = {
        "rows": data.report.to_dict(),
        "counts": counts,
        "length_characters": _length_stats(characters),
        "length_tokens": _length_stats(tokens),
        "empty_after_preprocessing": sum(1 for n in tokens if n == 0),
    }
    logger.info("label counts: %s", counts)
    logger.info(
        "length in characters: %s; in tokens: %s",
        summary["length_characters"],
        summary["length_tokens"],
    )
    if plot_dir is not None:
        plot_label_distribution(counts, plot_dir / LABEL_PLOT_FILE)
        plot_length_distribution(characters, tokens, plot_dir / LENGTH_PLOT_FILE)
    return summary


def _counts(column: pd.Series, labels: Sequence[str]) -> dict[str, int]:
    values = column.value_counts()
    return {label: int(values.get(label, 0)) for label in labels}


def _length_stats(lengths: Sequence[int]) -> dict[str, float]:
    array = np.asarray(lengths, dtype=float)
    return {
        "min": float(array.min()),
        "mean": round(float(array.mean()), 2),
        "median": float(np.median(array)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
    }
