"""Writes small, untrained artifacts folders for the model tests.

The network weights are random but seeded, which is all that loading, batching and
error handling need; the training tests cover a trained model end to end.
"""

from __future__ import annotations

from pathlib import Path

import torch

from model.artifacts import ArtifactConfig, save_artifacts
from model.network import MultiTaskLSTMClassifier, NetworkConfig, Pooling
from model.preprocessing import PreprocessingConfig
from model.vocabulary import Vocabulary

# Deliberately not the corpus labels, and not sorted, so a test can tell that the
# predictor reads names and order from config.json.
CATEGORY_LABELS = ("zeta", "alpha", "mid")
SENTIMENT_LABELS = ("up", "down")
WORDS = ["signal", "bill", "agent", "slow", "refund", "rude", "fast", "n't", "!", "😡"]
MAX_TOKENS = 16


def write_artifacts(
    directory: Path, *, pooling: Pooling = "last", bidirectional: bool = True
) -> Path:
    """Write a seeded, untrained artifacts folder into `directory` and return it."""
    vocabulary = Vocabulary.build([WORDS])
    network_config = NetworkConfig(
        vocab_size=len(vocabulary),
        num_categories=len(CATEGORY_LABELS),
        num_sentiments=len(SENTIMENT_LABELS),
        embedding_dim=12,
        hidden_size=10,
        num_layers=2,
        bidirectional=bidirectional,
        pooling=pooling,
    )
    torch.manual_seed(7)
    save_artifacts(
        directory,
        config=ArtifactConfig(
            network=network_config,
            preprocessing=PreprocessingConfig(),
            category_labels=CATEGORY_LABELS,
            sentiment_labels=SENTIMENT_LABELS,
            max_tokens=MAX_TOKENS,
        ),
        vocabulary=vocabulary,
        network=MultiTaskLSTMClassifier(network_config),
        metrics={"test": {"category": {"accuracy": 0.0}}},
        model_card="# Test model\n\nRandom weights for tests.\n",
    )
    return directory
