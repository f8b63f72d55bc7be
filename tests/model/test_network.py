from __future__ import annotations

import pytest
import torch

from model.encoding import pad_batch
from model.network import MultiTaskLSTMClassifier, NetworkConfig

SEQUENCES = [[5, 6, 7], [1], list(range(2, 30))]


def build_network(**overrides: object) -> MultiTaskLSTMClassifier:
    torch.manual_seed(0)
    settings: dict[str, object] = {
        "vocab_size": 40,
        "num_categories": 3,
        "num_sentiments": 2,
        "embedding_dim": 8,
        "hidden_size": 6,
    }
    settings.update(overrides)
    return MultiTaskLSTMClassifier(NetworkConfig(**settings)).eval()


@pytest.mark.parametrize("pooling", ["last", "attention"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_forward_returns_logits_per_task(pooling: str, bidirectional: bool) -> None:
    network = build_network(pooling=pooling, bidirectional=bidirectional)
    category, sentiment = network(*pad_batch(SEQUENCES))
    assert category.shape == (3, 3)
    assert sentiment.shape == (3, 2)


@pytest.mark.parametrize("pooling", ["last", "attention"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_does_not_change_output(pooling: str, bidirectional: bool) -> None:
    network = build_network(pooling=pooling, bidirectional=bidirectional)
    with torch.inference_mode():
        batched, _ = network(*pad_batch(SEQUENCES))
        for row, sequence in enumerate(SEQUENCES):
            alone, _ = network(*pad_batch([sequence]))
            torch.testing.assert_close(batched[row], alone[0], atol=1e-6, rtol=0)


def test_sentence_vector_size_follows_direction() -> None:
    assert build_network(bidirectional=True).config.sentence_dim == 12
    assert build_network(bidirectional=False).config.sentence_dim == 6


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vocab_size", 0),
        ("num_categories", 1),
        ("dropout", 1.0),
        ("pooling", "mean"),
        ("num_layers", 0),
    ],
)
def test_config_rejects_invalid_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        build_network(**{field: value})


def test_pad_batch_rejects_empty_sequence() -> None:
    with pytest.raises(ValueError, match="at least one token"):
        pad_batch([[3], []])
