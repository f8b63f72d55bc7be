from __future__ import annotations

import pandas as pd
import pytest
from labelled_sheets import labelled_rows

from training.exceptions import DataError
from training.splits import split_stratified


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(labelled_rows(per_cell=20))


def cells(part: pd.DataFrame) -> dict[tuple[str, str], int]:
    return part.groupby(["category", "sentiment"]).size().to_dict()


def test_split_sizes_follow_fractions(frame: pd.DataFrame) -> None:
    splits = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=0)
    assert splits.sizes() == {"train": 84, "validation": 18, "test": 18}


def test_split_stratified_by_joint_label(frame: pd.DataFrame) -> None:
    splits = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=0)
    assert set(cells(splits.train).values()) == {14}
    assert set(cells(splits.validation).values()) == {3}
    assert set(cells(splits.test).values()) == {3}


def test_split_parts_are_disjoint(frame: pd.DataFrame) -> None:
    splits = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=0)
    ids = [
        set(part["complaint_id"])
        for part in (splits.train, splits.validation, splits.test)
    ]
    assert not ids[0] & ids[1]
    assert not ids[0] & ids[2]
    assert not ids[1] & ids[2]
    assert len(ids[0] | ids[1] | ids[2]) == len(frame)


def test_split_same_seed_same_rows(frame: pd.DataFrame) -> None:
    first = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=3)
    second = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=3)
    assert first.test["complaint_id"].tolist() == second.test["complaint_id"].tolist()


def test_split_other_seed_other_rows(frame: pd.DataFrame) -> None:
    first = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=3)
    second = split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=4)
    assert set(first.test["complaint_id"]) != set(second.test["complaint_id"])


def test_split_rejects_too_few_rows() -> None:
    frame = pd.DataFrame(labelled_rows(per_cell=1))
    with pytest.raises(DataError, match="cannot split 6 rows"):
        split_stratified(frame, val_fraction=0.15, test_fraction=0.15, seed=0)
