"""Datasets of encoded texts and batching with per-batch padding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from model.encoding import TextEncoder, pad_batch
from training.dataset import CATEGORY_COLUMN, SENTIMENT_COLUMN, TEXT_COLUMN


@dataclass(frozen=True, slots=True)
class Batch:
    """Padded token indices with their lengths and the two label tensors."""

    token_ids: torch.Tensor  # (batch, max_length in this batch)
    lengths: torch.Tensor  # (batch,)
    category: torch.Tensor  # (batch,)
    sentiment: torch.Tensor  # (batch,)


class EncodedDataset(Dataset[tuple[list[int], int, int]]):
    """Texts encoded once up front, with label indices in artifact label order."""

    def __init__(
        self,
        frame: pd.DataFrame,
        encoder: TextEncoder,
        category_labels: Sequence[str],
        sentiment_labels: Sequence[str],
    ) -> None:
        category_index = {label: i for i, label in enumerate(category_labels)}
        sentiment_index = {label: i for i, label in enumerate(sentiment_labels)}
        self.sequences = [encoder.encode(text).indices for text in frame[TEXT_COLUMN]]
        self.categories = [category_index[label] for label in frame[CATEGORY_COLUMN]]
        self.sentiments = [sentiment_index[label] for label in frame[SENTIMENT_COLUMN]]

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple[list[int], int, int]:
        return self.sequences[index], self.categories[index], self.sentiments[index]


def collate(items: Sequence[tuple[list[int], int, int]]) -> Batch:
    """Pad a list of dataset items to the longest sequence in the batch."""
    sequences, categories, sentiments = zip(*items, strict=True)
    token_ids, lengths = pad_batch(sequences)
    return Batch(
        token_ids=token_ids,
        lengths=lengths,
        category=torch.tensor(categories, dtype=torch.long),
        sentiment=torch.tensor(sentiments, dtype=torch.long),
    )


class BucketBatchSampler(Sampler[list[int]]):
    """Random batches of texts with similar lengths.

    A packed LSTM runs one step per position of the longest text in a batch, so on a
    CPU the time of a batch grows with its maximum length. Each epoch, the sampler
    shuffles all indices, cuts them into pools of `pool_batches` batches, sorts each
    pool by length, cuts it into batches and shuffles the order of all batches. The
    pools keep the batch composition random from epoch to epoch.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        *,
        batch_size: int,
        generator: torch.Generator,
        pool_batches: int = 8,
    ) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.generator = generator
        self.pool_size = batch_size * pool_batches

    def __iter__(self):  # type: ignore[no-untyped-def]
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        batches: list[list[int]] = []
        for start in range(0, len(order), self.pool_size):
            pool = sorted(
                order[start : start + self.pool_size], key=self.lengths.__getitem__
            )
            batches += [
                pool[i : i + self.batch_size]
                for i in range(0, len(pool), self.batch_size)
            ]
        for index in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[index]

    def __len__(self) -> int:
        full_pools, rest = divmod(len(self.lengths), self.pool_size)
        per_pool = -(-self.pool_size // self.batch_size)
        return full_pools * per_pool + -(-rest // self.batch_size)


def make_training_loader(
    dataset: EncodedDataset, *, batch_size: int, generator: torch.Generator
) -> DataLoader[Batch]:
    """Return a loader of shuffled, length-bucketed batches for training."""
    sampler = BucketBatchSampler(
        [len(sequence) for sequence in dataset.sequences],
        batch_size=batch_size,
        generator=generator,
    )
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)


def make_evaluation_loader(
    dataset: EncodedDataset, *, batch_size: int = 256
) -> DataLoader[Batch]:
    """Return a loader that keeps the dataset order, for validation and testing."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)
