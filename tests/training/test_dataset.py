from __future__ import annotations

from pathlib import Path

import pytest
from labelled_sheets import CATEGORIES, SENTIMENTS, labelled_rows, write_sheet

from training.dataset import load_labelled_data
from training.exceptions import DataError

LABELS = {"category_labels": CATEGORIES, "sentiment_labels": SENTIMENTS}


def test_load_fixture_sheet(fixture_sheet: Path) -> None:
    data = load_labelled_data(fixture_sheet, **LABELS)
    assert data.report.rows_read == 120
    assert data.report.rows_kept == 120
    assert list(data.frame.columns) == ["complaint_id", "text", "category", "sentiment"]


def test_load_csv(tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "rows.csv", labelled_rows())
    assert load_labelled_data(path, **LABELS).report.rows_kept == 24


def test_load_drops_and_counts_bad_rows(tmp_path: Path) -> None:
    rows = labelled_rows()
    rows[0]["text"] = "   "
    rows[1]["text"] = None
    rows[2]["text"] = 12345
    rows[3]["category"] = None
    rows[4]["sentiment"] = "  "
    rows[5]["text"] = rows[6]["text"]
    path = write_sheet(tmp_path / "rows.xlsx", rows)

    data = load_labelled_data(path, **LABELS)

    assert data.report.rows_read == 24
    assert data.report.dropped == {
        "blank_text": 2,
        "non_text": 1,
        "missing_label": 2,
        "duplicate_text": 1,
    }
    assert data.report.rows_kept == 18
    assert len(data.frame) == 18


def test_load_strips_labels_and_text(tmp_path: Path) -> None:
    rows = labelled_rows()
    rows[0]["category"] = f"  {rows[0]['category']} "
    rows[0]["text"] = "  padded text  "
    path = write_sheet(tmp_path / "rows.xlsx", rows)
    frame = load_labelled_data(path, **LABELS).frame
    assert frame.loc[0, "category"] == CATEGORIES[0]
    assert frame.loc[0, "text"] == "padded text"


def test_load_rejects_missing_column(tmp_path: Path) -> None:
    rows = [
        {k: v for k, v in row.items() if k != "sentiment"} for row in labelled_rows()
    ]
    path = write_sheet(tmp_path / "rows.xlsx", rows)
    with pytest.raises(
        DataError, match=r"missing the columns \['sentiment'\]"
    ) as caught:
        load_labelled_data(path, **LABELS)
    assert "found ['complaint_id', 'text', 'category']" in str(caught.value)


def test_load_rejects_unknown_label(tmp_path: Path) -> None:
    rows = labelled_rows()
    rows[0]["category"] = "Billing Issues"
    path = write_sheet(tmp_path / "rows.xlsx", rows)
    with pytest.raises(DataError, match="unknown category labels") as caught:
        load_labelled_data(path, **LABELS)
    message = str(caught.value)
    assert "'Billing Issues': 1" in message
    assert (
        "found ['Billing', 'Billing Issues', 'Customer Service', 'Network Issues']"
        in message
    )


def test_load_rejects_label_without_rows(tmp_path: Path) -> None:
    rows = [row for row in labelled_rows() if row["sentiment"] == "Negative"]
    path = write_sheet(tmp_path / "rows.xlsx", rows)
    with pytest.raises(DataError, match=r"sentiment labels \['Positive'\]"):
        load_labelled_data(path, **LABELS)


def test_load_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_labelled_data(tmp_path / "absent.xlsx", **LABELS)


def test_load_rejects_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(DataError, match="cannot read data file"):
        load_labelled_data(path, **LABELS)
