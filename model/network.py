"""Multi-task LSTM classifier: one encoder, a category head and a sentiment head."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from model.vocabulary import PAD_INDEX

Pooling = Literal["last", "attention"]
POOLING_CHOICES: tuple[Pooling, ...] = ("last", "attention")


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """Architecture of `MultiTaskLSTMClassifier`, stored in `config.json`."""

    vocab_size: int
    num_categories: int
    num_sentiments: int
    embedding_dim: int = 100
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.3
    bidirectional: bool = True
    pooling: Pooling = "last"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embedding_dim", "hidden_size", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"{name} must be at least 1, got {getattr(self, name)}"
                )
        for name in ("num_categories", "num_sentiments"):
            if getattr(self, name) < 2:
                raise ValueError(
                    f"{name} must be at least 2, got {getattr(self, name)}"
                )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.pooling not in POOLING_CHOICES:
            raise ValueError(
                f"pooling must be one of {POOLING_CHOICES}, got {self.pooling!r}"
            )

    @property
    def sentence_dim(self) -> int:
        """Size of the sentence vector that feeds both heads."""
        return self.hidden_size * (2 if self.bidirectional else 1)

    def to_dict(self) -> dict[str, object]:
        """Return the fields as a JSON-serialisable dict."""
        return asdict(self)


class AttentionPooling(nn.Module):
    """Weighted mean over time steps with one learned score per step.

    Padding steps get a score of -inf, so their weight after the softmax is exactly 0
    and padding never changes the sentence vector.
    """

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(input_dim, 1)

    def forward(self, outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # outputs: (batch, time, input_dim); lengths: (batch,)
        steps = torch.arange(outputs.size(1), device=outputs.device)
        padding = steps.unsqueeze(0) >= lengths.to(outputs.device).unsqueeze(1)
        scores = self.score(outputs).squeeze(-1).masked_fill(padding, float("-inf"))
        weights = torch.softmax(scores, dim=1)  # (batch, time)
        return torch.bmm(weights.unsqueeze(1), outputs).squeeze(1)


class MultiTaskLSTMClassifier(nn.Module):
    """Embedding, LSTM encoder over packed sequences, and two classification heads."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(
            config.vocab_size, config.embedding_dim, padding_idx=PAD_INDEX
        )
        self.encoder = nn.LSTM(
            input_size=config.embedding_dim,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            # nn.LSTM applies dropout between stacked layers only, and warns when
            # there is a single layer.
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            batch_first=True,
        )
        self.attention = (
            AttentionPooling(config.sentence_dim)
            if config.pooling == "attention"
            else None
        )
        self.dropout = nn.Dropout(config.dropout)
        self.category_head = nn.Linear(config.sentence_dim, config.num_categories)
        self.sentiment_head = nn.Linear(config.sentence_dim, config.num_sentiments)

    def forward(
        self, token_ids: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return category logits (batch, num_categories) and sentiment logits.

        `token_ids` is (batch, time) padded with index 0, and `lengths` is (batch,)
        on the CPU with every value at least 1.
        """
        sentence = self.encode(token_ids, lengths)
        sentence = self.dropout(sentence)
        return self.category_head(sentence), self.sentiment_head(sentence)

    def encode(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Return the sentence vectors, shape (batch, sentence_dim)."""
        embedded = self.dropout(self.embedding(token_ids))  # (batch, time, emb)
        # Packing makes the LSTM stop at each sequence's last real token, so padding
        # never enters the recurrent state and h_n is the state at that token.
        packed = pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        packed_outputs, (h_n, _) = self.encoder(packed)
        if self.attention is not None:
            outputs, _ = pad_packed_sequence(
                packed_outputs, batch_first=True, total_length=token_ids.size(1)
            )
            return self.attention(outputs, lengths)
        # h_n: (num_layers * num_directions, batch, hidden). The last two rows are
        # the top layer's forward and backward states; with enforce_sorted=False
        # PyTorch has already put them back in the input order.
        if self.config.bidirectional:
            return torch.cat((h_n[-2], h_n[-1]), dim=1)
        return h_n[-1]
