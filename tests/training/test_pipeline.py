"""End to end: fixture sheet to artifacts to predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import Predictor
from model.artifacts import ARTIFACT_FILES, MANIFEST_FILE, WEIGHTS_FILE
from model.preprocessing import Preprocessor
from training import train_artifacts
from training.config import DEFAULT_CATEGORY_LABELS, DEFAULT_SENTIMENT_LABELS
from training.dataset import load_labelled_data
from training.pipeline import EXPLORATION_FILE, SPLITS_FILE


def test_train_artifacts_writes_every_file(trained_dir: Path) -> None:
    for name in (*ARTIFACT_FILES, MANIFEST_FILE, EXPLORATION_FILE, SPLITS_FILE):
        assert (trained_dir / name).is_file(), name


def test_trained_artifacts_predict(trained_dir: Path) -> None:
    predictor = Predictor.load(trained_dir)
    predictions = predictor.predict(
        ["no signal since monday", "refund received, thanks"]
    )
    assert len(predictions) == 2
    assert predictions[0].category in DEFAULT_CATEGORY_LABELS
    assert predictions[0].sentiment in DEFAULT_SENTIMENT_LABELS


def test_trained_labels_in_configured_order(trained_dir: Path) -> None:
    predictor = Predictor.load(trained_dir)
    assert predictor.category_labels == DEFAULT_CATEGORY_LABELS
    assert predictor.sentiment_labels == DEFAULT_SENTIMENT_LABELS


def test_metrics_hold_test_scores(trained_dir: Path) -> None:
    metrics = json.loads((trained_dir / "metrics.json").read_text())
    for task in ("category", "sentiment"):
        scores = metrics["test"][task]
        assert 0.0 <= scores["accuracy"] <= 1.0
        assert 0.0 <= scores["macro_f1"] <= 1.0
        assert (
            sum(map(sum, scores["confusion_matrix"])) == metrics["split_sizes"]["test"]
        )
    assert metrics["training"]["epochs_run"] == 3
    assert metrics["data"]["rows_kept"] == 120


def test_vocabulary_from_training_split_only(
    trained_dir: Path, fixture_sheet: Path
) -> None:
    data = load_labelled_data(
        fixture_sheet,
        category_labels=DEFAULT_CATEGORY_LABELS,
        sentiment_labels=DEFAULT_SENTIMENT_LABELS,
    )
    splits = json.loads((trained_dir / SPLITS_FILE).read_text())
    vocabulary = set(json.loads((trained_dir / "vocab.json").read_text())["tokens"])
    texts = data.frame.set_index("complaint_id")["text"]
    preprocessor = Preprocessor()

    def tokens_of(split: str) -> set[str]:
        return {t for cid in splits[split] for t in preprocessor.tokenize(texts[cid])}

    held_out_only = (tokens_of("validation") | tokens_of("test")) - tokens_of("train")
    assert held_out_only, "the fixture should have words outside the training split"
    assert not held_out_only & vocabulary
    assert vocabulary - {"<pad>", "<unk>"} <= tokens_of("train")


def test_training_reproducible_with_seed(
    fixture_sheet: Path, tmp_path: Path, trained_dir: Path
) -> None:
    again = train_artifacts(fixture_sheet, tmp_path / "again")
    first = json.loads((trained_dir / MANIFEST_FILE).read_text())["files"]
    second = json.loads((again / MANIFEST_FILE).read_text())["files"]
    assert second[WEIGHTS_FILE] == first[WEIGHTS_FILE]


def test_train_artifacts_applies_overrides(fixture_sheet: Path, tmp_path: Path) -> None:
    out = train_artifacts(
        fixture_sheet,
        tmp_path / "small",
        epochs=1,
        hidden_size=8,
        embedding_dim=8,
        num_layers=1,
        pooling="attention",
    )
    config = json.loads((out / "config.json").read_text())
    assert config["network"]["hidden_size"] == 8
    assert config["network"]["pooling"] == "attention"
    assert Predictor.load(out).predict(["bill"])[0].category in DEFAULT_CATEGORY_LABELS


def test_train_artifacts_rejects_unknown_override(
    fixture_sheet: Path, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match=r"unknown hyperparameters \['hidden'\]"):
        train_artifacts(fixture_sheet, tmp_path / "bad", hidden=8)
