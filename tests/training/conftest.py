from __future__ import annotations

from pathlib import Path

import pytest

from training import train_artifacts

FIXTURE_SHEET = Path(__file__).resolve().parents[1] / "fixtures" / "reviews_small.xlsx"


@pytest.fixture(scope="session")
def fixture_sheet() -> Path:
    """Return the 120-row labelled sheet, 20 texts per (category, sentiment) pair."""
    return FIXTURE_SHEET


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return artifacts trained on the fixture sheet with `train_artifacts` defaults."""
    return train_artifacts(FIXTURE_SHEET, tmp_path_factory.mktemp("trained"))
