"""The training corpus data/Reviews.xlsx: format, labels, balance and uniqueness."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CORPUS = DATA_DIR / "Reviews.xlsx"
REPLAY = DATA_DIR / "replay" / "fcc_complaints_replay.csv"
COLUMNS = ["complaint_id", "text", "category", "sentiment"]
CATEGORIES = {"Network Issues", "Billing", "Customer Service"}
SENTIMENTS = {"Positive", "Negative"}
MIN_ROWS = 1_500
CELL_SHARE_RANGE = (0.14, 0.20)


def _normalise(text: str) -> str:
    """Lower-case the text and drop punctuation and white space."""
    return re.sub(r"[\W_]+", "", text.lower())


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pd.read_excel(CORPUS, engine="openpyxl", dtype=str, keep_default_na=False)


def test_corpus_has_exact_columns(corpus: pd.DataFrame) -> None:
    assert list(corpus.columns) == COLUMNS


def test_corpus_is_one_sheet() -> None:
    assert len(pd.ExcelFile(CORPUS, engine="openpyxl").sheet_names) == 1


def test_corpus_row_count(corpus: pd.DataFrame) -> None:
    assert len(corpus) >= MIN_ROWS


def test_corpus_label_sets(corpus: pd.DataFrame) -> None:
    assert set(corpus["category"]) == CATEGORIES
    assert set(corpus["sentiment"]) == SENTIMENTS


def test_corpus_ids_format_and_unique(corpus: pd.DataFrame) -> None:
    bad_ids = [i for i in corpus["complaint_id"] if not re.fullmatch(r"C\d{4,}", i)]
    assert bad_ids == []
    assert corpus["complaint_id"].is_unique


def test_corpus_texts_not_empty(corpus: pd.DataFrame) -> None:
    empty = corpus.loc[corpus["text"].str.strip() == "", "complaint_id"].tolist()
    assert empty == []


def test_corpus_texts_single_line(corpus: pd.DataFrame) -> None:
    multiline = corpus.loc[corpus["text"].str.contains("\n"), "complaint_id"].tolist()
    assert multiline == []


@pytest.mark.parametrize("category", sorted(CATEGORIES))
@pytest.mark.parametrize("sentiment", sorted(SENTIMENTS))
def test_corpus_cell_balance(
    corpus: pd.DataFrame, category: str, sentiment: str
) -> None:
    in_cell = (corpus["category"] == category) & (corpus["sentiment"] == sentiment)
    share = in_cell.sum() / len(corpus)
    low, high = CELL_SHARE_RANGE
    assert low <= share <= high, f"{category}/{sentiment} holds {share:.1%}"


def test_corpus_no_near_duplicates(corpus: pd.DataFrame) -> None:
    normalised = corpus["text"].map(_normalise)
    repeated = corpus.loc[normalised.duplicated(keep=False), "text"].tolist()
    assert repeated == []


def test_corpus_shares_no_replay_text(corpus: pd.DataFrame) -> None:
    with open(REPLAY, newline="", encoding="utf-8") as replay_file:
        replay = {_normalise(row["text"]) for row in csv.DictReader(replay_file)}
    shared = corpus.loc[corpus["text"].map(_normalise).isin(replay), "text"].tolist()
    assert shared == []
