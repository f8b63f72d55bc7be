"""Stratified train, validation and test splits."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split

from training.dataset import CATEGORY_COLUMN, SENTIMENT_COLUMN
from training.exceptions import DataError


@dataclass(frozen=True, slots=True)
class DataSplits:
    """Rows of the train, validation and test splits."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame

    def sizes(self) -> dict[str, int]:
        """Return the number of rows per split."""
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


def split_stratified(
    frame: pd.DataFrame, *, val_fraction: float, test_fraction: float, seed: int
) -> DataSplits:
    """Split rows so that each (category, sentiment) pair keeps its share everywhere.

    Stratifying on the joint label keeps rare combinations, such as positive billing
    feedback, in every split instead of only the largest one.
    """
    joint = frame[CATEGORY_COLUMN].astype(str) + " / " + frame[SENTIMENT_COLUMN]
    try:
        rest, test = train_test_split(
            frame, test_size=test_fraction, stratify=joint, random_state=seed
        )
        # The validation share is taken from what is left after the test split.
        train, validation = train_test_split(
            rest,
            test_size=val_fraction / (1.0 - test_fraction),
            stratify=joint.loc[rest.index],
            random_state=seed,
        )
    except ValueError as exc:
        counts = {str(k): int(v) for k, v in joint.value_counts().items()}
        raise DataError(
            f"cannot split {len(frame)} rows stratified by (category, sentiment) "
            f"with counts {counts}: {exc}. Add rows to the small cells or change "
            "--val-fraction/--test-fraction"
        ) from exc
    return DataSplits(
        train=train.reset_index(drop=True),
        validation=validation.reset_index(drop=True),
        test=test.reset_index(drop=True),
    )
