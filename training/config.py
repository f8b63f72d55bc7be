"""Hyperparameters of a training run, with their units and defaults.

The defaults suit about 1,600 short texts: a 2-layer BiLSTM with 100-dimensional
embeddings and 128 hidden units per direction, trained with early stopping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from model.network import POOLING_CHOICES, NetworkConfig, Pooling
from model.preprocessing import PreprocessingConfig

# The labels the corpus is annotated with, in the order of the network outputs.
# They are written into config.json, and the model package reads them from there.
DEFAULT_CATEGORY_LABELS = ("Network Issues", "Billing", "Customer Service")
DEFAULT_SENTIMENT_LABELS = ("Negative", "Positive")


def _option(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """Every setting of a training run, as listed by `python -m training --help`."""

    # Labels
    category_labels: tuple[str, ...] = _option(
        DEFAULT_CATEGORY_LABELS, "category names in output order, comma-separated"
    )
    sentiment_labels: tuple[str, ...] = _option(
        DEFAULT_SENTIMENT_LABELS, "sentiment names in output order, comma-separated"
    )
    # Preprocessing and vocabulary
    remove_stopwords: bool = _option(True, "drop stopwords (negations are kept)")
    max_tokens: int = _option(128, "tokens read per text, later ones are dropped")
    min_freq: int = _option(2, "minimum count in the training split for a token")
    max_vocab_size: int = _option(20_000, "maximum vocabulary size, in tokens")
    # Network
    embedding_dim: int = _option(100, "embedding size, in dimensions")
    hidden_size: int = _option(128, "LSTM hidden units per direction")
    num_layers: int = _option(2, "stacked LSTM layers")
    dropout: float = _option(0.5, "dropout probability, 0 to 1")
    bidirectional: bool = _option(True, "run the LSTM in both directions")
    pooling: Pooling = _option(
        "last", f"sentence vector: one of {', '.join(POOLING_CHOICES)}"
    )
    # Optimisation
    epochs: int = _option(30, "maximum number of epochs")
    batch_size: int = _option(32, "texts per training batch")
    learning_rate: float = _option(2e-3, "AdamW learning rate")
    weight_decay: float = _option(1e-2, "AdamW weight decay")
    clip_norm: float = _option(1.0, "maximum gradient L2 norm")
    category_loss_weight: float = _option(1.0, "weight of the category loss")
    sentiment_loss_weight: float = _option(1.0, "weight of the sentiment loss")
    patience: int = _option(5, "epochs without validation-loss improvement to stop")
    lr_factor: float = _option(0.5, "learning-rate multiplier on a plateau")
    lr_patience: int = _option(2, "epochs without improvement before reducing lr")
    # Data splits
    val_fraction: float = _option(0.15, "share of rows for validation, 0 to 1")
    test_fraction: float = _option(0.15, "share of rows for the test split, 0 to 1")
    seed: int = _option(0, "seed for splits, initialisation and shuffling")

    def __post_init__(self) -> None:
        positive = ("max_tokens", "min_freq", "epochs", "batch_size", "patience")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(
                    f"{name} must be at least 1, got {getattr(self, name)}"
                )
        if not 0.0 < self.val_fraction < 1.0 or not 0.0 < self.test_fraction < 1.0:
            raise ValueError(
                "val_fraction and test_fraction must be between 0 and 1, got "
                f"{self.val_fraction} and {self.test_fraction}"
            )
        if self.val_fraction + self.test_fraction >= 0.9:
            raise ValueError(
                "val_fraction + test_fraction must leave at least 10% for training, "
                f"got {self.val_fraction + self.test_fraction:.2f}"
            )
        if not 0.0 < self.lr_factor < 1.0:
            raise ValueError(f"lr_factor must be between 0 and 1, got {self.lr_factor}")
        if self.clip_norm <= 0 or self.learning_rate <= 0:
            raise ValueError("clip_norm and learning_rate must be positive")
        for name in ("category_labels", "sentiment_labels"):
            labels = getattr(self, name)
            if len(labels) < 2 or len(set(labels)) != len(labels):
                raise ValueError(
                    f"{name} must contain at least 2 distinct names: {labels}"
                )
        # Building the network and preprocessing configs validates their fields too.
        self.network_config(vocab_size=2)
        self.preprocessing_config()

    def network_config(self, vocab_size: int) -> NetworkConfig:
        """Return the architecture for a vocabulary of `vocab_size` tokens."""
        return NetworkConfig(
            vocab_size=vocab_size,
            num_categories=len(self.category_labels),
            num_sentiments=len(self.sentiment_labels),
            embedding_dim=self.embedding_dim,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
            bidirectional=self.bidirectional,
            pooling=self.pooling,
        )

    def preprocessing_config(self) -> PreprocessingConfig:
        """Return the preprocessing settings stored with the artifacts."""
        return PreprocessingConfig(remove_stopwords=self.remove_stopwords)

    def with_overrides(self, **overrides: Any) -> TrainingConfig:
        """Return a copy with some fields replaced, rejecting unknown names."""
        unknown = sorted(set(overrides) - {f.name for f in fields(self)})
        if unknown:
            raise TypeError(
                f"unknown hyperparameters {unknown}; valid names: "
                f"{sorted(f.name for f in fields(self))}"
            )
        return replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-serialisable dict."""
        data = asdict(self)
        data["category_labels"] = list(self.category_labels)
        data["sentiment_labels"] = list(self.sentiment_labels)
        return data
