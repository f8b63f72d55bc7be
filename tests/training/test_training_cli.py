from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import Predictor
from training.cli import build_parser, main
from training.comparison import MODEL_TITLES
from training.config import TrainingConfig

# A tiny network keeps each CLI run to a few seconds on the fixture sheet.
SMALL = [
    "--epochs",
    "2",
    "--hidden-size",
    "8",
    "--embedding-dim",
    "8",
    "--num-layers",
    "1",
]


def test_help_lists_every_hyperparameter() -> None:
    help_text = build_parser().format_help()
    for name in TrainingConfig.__dataclass_fields__:
        assert "--" + name.replace("_", "-") in help_text, name
    assert "(default: 128)" in help_text


def test_train_writes_artifacts_and_plots(fixture_sheet: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    status = main(["--data", str(fixture_sheet), "--out", str(out), *SMALL])
    assert status == 0
    for name in (
        "label_distribution.png",
        "length_distribution.png",
        "training_curves.png",
        "confusion_category.png",
        "confusion_sentiment.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert Predictor.load(out).predict(["no signal since monday"])


def test_compare_writes_metrics_and_report(fixture_sheet: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare"
    status = main(
        [
            "--data",
            str(fixture_sheet),
            "--out",
            str(out),
            "--compare",
            "--seeds",
            "0,1",
            *SMALL,
        ]
    )
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["models"]) == set(MODEL_TITLES)
    for model in metrics["models"].values():
        assert [run["seed"] for run in model["runs"]] == [0, 1]
        assert set(model["summary"]["category_macro_f1"]) == {"mean", "std"}
    report = (out / "comparison.md").read_text()
    for title in MODEL_TITLES.values():
        assert title in report


def test_invalid_hyperparameter_exit_status(
    fixture_sheet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["--data", str(fixture_sheet), "--out", str(tmp_path), "--dropout", "1.5"]
    )
    assert status == 2
    assert "dropout must be in [0, 1), got 1.5" in capsys.readouterr().err


def test_missing_data_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["--data", str(tmp_path / "absent.xlsx"), "--out", str(tmp_path / "o")]
    )
    assert status == 1
    assert "absent.xlsx not found" in capsys.readouterr().err


def test_label_options_parse_comma_lists() -> None:
    args = build_parser().parse_args(
        ["--data", "d", "--out", "o", "--sentiment-labels", "Bad, Good"]
    )
    assert args.sentiment_labels == ("Bad", "Good")
