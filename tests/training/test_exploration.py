from __future__ import annotations

from pathlib import Path

from labelled_sheets import CATEGORIES, SENTIMENTS

from model.preprocessing import Preprocessor
from training.baseline import evaluate_tfidf_baseline
from training.dataset import load_labelled_data
from training.exploration import LABEL_PLOT_FILE, LENGTH_PLOT_FILE, explore
from training.splits import split_stratified

LABELS = {"category_labels": CATEGORIES, "sentiment_labels": SENTIMENTS}


def test_explore_counts_cells_and_lengths(fixture_sheet: Path, tmp_path: Path) -> None:
    data = load_labelled_data(fixture_sheet, **LABELS)
    summary = explore(data, Preprocessor(), plot_dir=tmp_path, **LABELS)
    assert summary["counts"]["category"] == dict.fromkeys(CATEGORIES, 40)
    assert summary["counts"]["sentiment"] == dict.fromkeys(SENTIMENTS, 60)
    assert set(summary["counts"]["cell"].values()) == {20}
    assert summary["length_characters"]["min"] <= summary["length_characters"]["median"]
    assert summary["length_tokens"]["max"] >= summary["length_tokens"]["mean"]
    assert summary["rows"]["rows_kept"] == 120
    assert (tmp_path / LABEL_PLOT_FILE).stat().st_size > 0
    assert (tmp_path / LENGTH_PLOT_FILE).stat().st_size > 0


def test_tfidf_baseline_scores_both_tasks(fixture_sheet: Path) -> None:
    data = load_labelled_data(fixture_sheet, **LABELS)
    splits = split_stratified(data.frame, val_fraction=0.15, test_fraction=0.15, seed=0)
    metrics = evaluate_tfidf_baseline(splits, Preprocessor(), seed=0, **LABELS)
    for task, labels in (("category", CATEGORIES), ("sentiment", SENTIMENTS)):
        assert metrics[task]["labels"] == list(labels)
        assert 0.0 <= metrics[task]["macro_f1"] <= 1.0
        assert sum(map(sum, metrics[task]["confusion_matrix"])) == len(splits.test)
