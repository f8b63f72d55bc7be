"""Loading and validation of the labelled feedback sheet."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from training.exceptions import DataError

logger = logging.getLogger(__name__)

ID_COLUMN = "complaint_id"
TEXT_COLUMN = "text"
CATEGORY_COLUMN = "category"
SENTIMENT_COLUMN = "sentiment"
REQUIRED_COLUMNS = (ID_COLUMN, TEXT_COLUMN, CATEGORY_COLUMN, SENTIMENT_COLUMN)


@dataclass(frozen=True, slots=True)
class DataReport:
    """How many rows were read, kept and dropped, with the reason for each drop."""

    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-serialisable dict."""
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
        }


@dataclass(frozen=True, slots=True)
class LabelledData:
    """Clean rows with the columns `REQUIRED_COLUMNS`, and how they were obtained."""

    frame: pd.DataFrame
    report: DataReport


def load_labelled_data(
    path: Path | str,
    *,
    category_labels: Sequence[str],
    sentiment_labels: Sequence[str],
) -> LabelledData:
    """Read a .xlsx or .csv sheet and keep the rows that can be trained on.

    Rows with a blank text, a text that is not a string (a number or a date), a
    missing label or a text already seen earlier in the sheet are dropped and counted
    in the report. A missing column, a label outside the expected names, or an
    expected label without rows raises DataError.
    """
    frame = _read_sheet(Path(path))
    _check_columns(frame, Path(path))
    rows_read = len(frame)

    frame = frame.loc[:, list(REQUIRED_COLUMNS)].copy()
    for column in (CATEGORY_COLUMN, SENTIMENT_COLUMN):
        frame[column] = frame[column].map(_strip_label)
    _check_labels(frame, CATEGORY_COLUMN, category_labels)
    _check_labels(frame, SENTIMENT_COLUMN, sentiment_labels)

    dropped: dict[str, int] = {}
    frame = frame[_text_mask(frame, dropped)]

    has_labels = frame[CATEGORY_COLUMN].notna() & frame[SENTIMENT_COLUMN].notna()
    dropped["missing_label"] = int((~has_labels).sum())
    frame = frame[has_labels]

    frame = frame.assign(**{TEXT_COLUMN: frame[TEXT_COLUMN].str.strip()})
    duplicated = frame[TEXT_COLUMN].duplicated(keep="first")
    dropped["duplicate_text"] = int(duplicated.sum())
    frame = frame[~duplicated].reset_index(drop=True)
    frame[ID_COLUMN] = frame[ID_COLUMN].astype(str)

    _check_every_label_present(frame, CATEGORY_COLUMN, category_labels)
    _check_every_label_present(frame, SENTIMENT_COLUMN, sentiment_labels)
    report = DataReport(rows_read=rows_read, rows_kept=len(frame), dropped=dropped)
    if any(dropped.values()):
        logger.warning("dropped rows from %s: %s", path, dropped)
    logger.info("loaded %d of %d rows from %s", len(frame), rows_read, path)
    return LabelledData(frame=frame, report=report)


def _read_sheet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"data file {path} not found; pass an existing .xlsx or .csv")
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=object, keep_default_na=True)
        # dtype=object keeps each cell as Excel stored it, so a numeric "text" cell
        # stays a number and is reported as non-text instead of becoming "123".
        return pd.read_excel(path, dtype=object)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read data file {path}: {exc}") from exc


def _check_columns(frame: pd.DataFrame, path: Path) -> None:
    frame.columns = [str(column).strip() for column in frame.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(
            f"{path} is missing the columns {missing}; found {list(frame.columns)}, "
            f"expected {list(REQUIRED_COLUMNS)}"
        )


def _strip_label(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


def _check_labels(frame: pd.DataFrame, column: str, expected: Sequence[str]) -> None:
    found = frame[column].dropna()
    unknown = found[~found.isin(list(expected))]
    if not unknown.empty:
        counts = {str(k): int(v) for k, v in unknown.value_counts().items()}
        all_found = sorted(str(value) for value in found.unique())
        raise DataError(
            f"unknown {column} labels {counts}; found {all_found}, expected "
            f"{list(expected)}. Fix the sheet or pass --{column}-labels"
        )


def _text_mask(frame: pd.DataFrame, dropped: dict[str, int]) -> pd.Series:
    texts = frame[TEXT_COLUMN]
    is_string = texts.map(lambda value: isinstance(value, str))
    is_missing = texts.isna()
    is_blank = is_string & texts.map(
        lambda value: isinstance(value, str) and not value.strip()
    )
    dropped["blank_text"] = int((is_missing | is_blank).sum())
    dropped["non_text"] = int((~is_string & ~is_missing).sum())
    return is_string & ~is_blank


def _check_every_label_present(
    frame: pd.DataFrame, column: str, expected: Sequence[str]
) -> None:
    counts = frame[column].value_counts()
    absent = [label for label in expected if counts.get(label, 0) == 0]
    if absent:
        raise DataError(
            f"no usable rows for the {column} labels {absent}; every label needs "
            "training examples, so add rows or remove the label from the label list"
        )
