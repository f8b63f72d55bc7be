"""Conversion of raw texts to padded index tensors for the network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from model.preprocessing import Preprocessor
from model.vocabulary import PAD_INDEX, UNK_INDEX, Vocabulary


@dataclass(frozen=True, slots=True)
class EncodedText:
    """Token indices of one text, cut to the maximum number of tokens."""

    indices: list[int]
    truncated: bool


class TextEncoder:
    """Pipeline from raw text to vocabulary indices: preprocessing, then lookup."""

    def __init__(
        self, preprocessor: Preprocessor, vocabulary: Vocabulary, max_tokens: int
    ) -> None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        self.preprocessor = preprocessor
        self.vocabulary = vocabulary
        self.max_tokens = max_tokens

    def encode(self, text: str) -> EncodedText:
        """Encode one text, keeping its first `max_tokens` tokens.

        A text with no tokens left after cleaning becomes a single unknown token, so
        that every sequence has length at least 1, which `pack_padded_sequence`
        requires.
        """
        tokens = self.preprocessor.tokenize(text)
        truncated = len(tokens) > self.max_tokens
        indices = self.vocabulary.encode(tokens[: self.max_tokens])
        return EncodedText(indices=indices or [UNK_INDEX], truncated=truncated)


def pad_batch(sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad index sequences to the longest one in the batch.

    Returns token indices of shape (batch, max_length) and lengths of shape (batch,),
    both int64 and on the CPU, as `pack_padded_sequence` expects for lengths.
    """
    if not sequences:
        raise ValueError("cannot pad an empty batch")
    lengths = torch.tensor([len(sequence) for sequence in sequences], dtype=torch.long)
    if int(lengths.min()) < 1:
        raise ValueError("every sequence needs at least one token; encode texts first")
    token_ids = torch.full((len(sequences), int(lengths.max())), PAD_INDEX)
    for row, sequence in enumerate(sequences):
        token_ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
    return token_ids, lengths
