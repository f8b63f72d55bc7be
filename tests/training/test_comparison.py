from __future__ import annotations

from pathlib import Path

import pytest

from training.comparison import BASELINE_NAME, render_comparison, run_comparison
from training.config import TrainingConfig

RESULTS = {
    "data": "sheet.xlsx",
    "split_sizes": {"train": 70, "validation": 15, "test": 15},
    "split_seed": 0,
    "seeds": [0, 1],
    "models": {
        BASELINE_NAME: {
            "summary": {
                "category_accuracy": {"mean": 0.9, "std": 0.0},
                "category_macro_f1": {"mean": 0.8912, "std": 0.0},
                "sentiment_accuracy": {"mean": 0.75, "std": 0.0},
                "sentiment_macro_f1": {"mean": 0.7481, "std": 0.0},
                "seconds": {"mean": 0.42, "std": 0.01},
            },
            "runs": [],
        }
    },
}


def test_render_comparison_formats_mean_and_std() -> None:
    report = render_comparison(RESULTS)
    row = next(line for line in report.splitlines() if line.startswith("| TF-IDF"))
    assert row == (
        "| TF-IDF + logistic regression | 0.900 ± 0.000 | 0.891 ± 0.000 "
        "| 0.750 ± 0.000 | 0.748 ± 0.000 | 0.4 |"
    )


def test_render_comparison_names_split_and_seeds() -> None:
    report = render_comparison(RESULTS)
    assert "15 texts (train 70, validation 15)" in report
    assert "2 seeds (0, 1)" in report


def test_run_comparison_rejects_no_seeds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one seed"):
        run_comparison("unused.xlsx", tmp_path, TrainingConfig(), seeds=[])
