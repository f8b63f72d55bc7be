from __future__ import annotations

import pytest
import torch

from training.config import TrainingConfig
from training.threads import torch_threads


def test_defaults_describe_bilstm() -> None:
    config = TrainingConfig()
    network = config.network_config(vocab_size=100)
    assert network.bidirectional is True
    assert network.num_layers == 2
    assert network.hidden_size == 128
    assert network.embedding_dim == 100
    assert network.num_categories == len(config.category_labels)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "epochs must be at least 1"),
        ("val_fraction", 0.0, "val_fraction and test_fraction"),
        ("test_fraction", 0.8, "at least 10% for training"),
        ("lr_factor", 1.0, "lr_factor"),
        ("dropout", -0.1, "dropout"),
        ("pooling", "max", "pooling"),
        ("sentiment_labels", ("Only",), "at least 2 distinct"),
        ("category_labels", ("A", "A"), "at least 2 distinct"),
    ],
)
def test_config_rejects_invalid_values(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**{field: value})


def test_with_overrides_rejects_unknown_names() -> None:
    with pytest.raises(TypeError, match=r"unknown hyperparameters \['lr'\]"):
        TrainingConfig().with_overrides(lr=0.1)


def test_torch_threads_restores_previous_count() -> None:
    previous = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == previous


def test_torch_threads_rejects_zero() -> None:
    with pytest.raises(ValueError, match="at least 1, got 0"):
        with torch_threads(0):
            pass
