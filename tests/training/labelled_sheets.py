"""Writes small labelled sheets for data-loading tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

CATEGORIES = ("Network Issues", "Billing", "Customer Service")
SENTIMENTS = ("Negative", "Positive")
TOPICS = {
    "Network Issues": ("signal", "outage", "router", "speed"),
    "Billing": ("invoice", "refund", "charge", "fee"),
    "Customer Service": ("agent", "hold", "callback", "staff"),
}
MOODS = {"Negative": ("awful", "broken"), "Positive": ("great", "fixed")}


def labelled_rows(per_cell: int = 4) -> list[dict[str, Any]]:
    """Return `per_cell` distinct rows for every (category, sentiment) pair."""
    rows = []
    for category in CATEGORIES:
        for sentiment in SENTIMENTS:
            for i in range(per_cell):
                topic = TOPICS[category][i % 4]
                mood = MOODS[sentiment][i % 2]
                rows.append(
                    {
                        "complaint_id": f"T{len(rows):04d}",
                        "text": f"{mood} {topic} number {i}",
                        "category": category,
                        "sentiment": sentiment,
                    }
                )
    return rows


def write_sheet(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write `rows` to an .xlsx or .csv file chosen by the suffix of `path`."""
    frame = pd.DataFrame(rows)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)
    return path
