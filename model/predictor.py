"""Batch inference on a trained multi-task classifier."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import torch
from torch import nn

from model.artifacts import WEIGHTS_FILE, ArtifactConfig, load_artifacts
from model.encoding import TextEncoder, pad_batch
from model.exceptions import ArtifactError
from model.network import MultiTaskLSTMClassifier
from model.onnx_serving import OnnxNetwork
from model.preprocessing import Preprocessor

logger = logging.getLogger(__name__)

Variant = Literal["float32", "int8", "onnx"]
VARIANTS: tuple[str, ...] = get_args(Variant)
DEFAULT_BATCH_SIZE = 64


@dataclass(frozen=True, slots=True)
class Prediction:
    """Labels and probabilities for one text.

    `probabilities` maps each task ("category", "sentiment") to the probability of
    every label of that task. `truncated` is true when the text had more tokens than
    the model reads and only the first `max_tokens` were used.
    """

    category: str
    category_confidence: float
    sentiment: str
    sentiment_confidence: float
    probabilities: dict[str, dict[str, float]]
    truncated: bool


class Predictor:
    """A loaded model that classifies texts by category and sentiment.

    Example:
        >>> predictor = Predictor.load("artifacts/default")
        >>> predictor.predict(["no signal since monday"])[0].category
    """

    def __init__(
        self,
        *,
        network: nn.Module,
        encoder: TextEncoder,
        config: ArtifactConfig,
        model_version: str,
        variant: Variant,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._network = network.eval()
        # The "onnx" variant runs the same weights in ONNX Runtime instead.
        self._onnx = (
            OnnxNetwork(network, threads=torch.get_num_threads())
            if variant == "onnx"
            else None
        )
        self._encoder = encoder
        self._config = config
        self._model_version = model_version
        self._variant = variant
        self._batch_size = batch_size

    @classmethod
    def load(
        cls,
        artifacts_dir: Path | str,
        variant: Variant = "float32",
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Predictor:
        """Load and validate the artifacts in `artifacts_dir`.

        `variant` "float32" runs the stored weights as they are. "int8" applies
        PyTorch dynamic quantization to the LSTM and linear layers: 8-bit weights,
        with activations quantized per batch at run time. Both variants report the
        same `model_version`, because they load the same files.

        Raises:
            ValueError: `variant` is not one of `VARIANTS`.
            ArtifactError: a file is missing, corrupt or from another schema version.
        """
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; valid variants: {VARIANTS}")
        artifacts = load_artifacts(artifacts_dir)
        config = artifacts.config
        network = MultiTaskLSTMClassifier(config.network)
        try:
            network.load_state_dict(artifacts.state_dict, strict=True)
        except RuntimeError as exc:
            raise ArtifactError(
                artifacts.directory / WEIGHTS_FILE,
                f"weights do not fit the architecture in config.json: {exc}",
            ) from exc
        network.eval()
        if variant == "int8":
            network = _quantize_dynamic(network)
        encoder = TextEncoder(
            Preprocessor(config.preprocessing), artifacts.vocabulary, config.max_tokens
        )
        logger.info(
            "loaded model directory=%s model_version=%s variant=%s vocab_size=%d",
            artifacts.directory,
            artifacts.model_version,
            variant,
            len(artifacts.vocabulary),
        )
        return cls(
            network=network,
            encoder=encoder,
            config=config,
            model_version=artifacts.model_version,
            variant=variant,
            batch_size=batch_size,
        )

    @property
    def model_version(self) -> str:
        """Content hash of the artifact files."""
        return self._model_version

    @property
    def category_labels(self) -> tuple[str, ...]:
        """Category names in the order of the category head's outputs."""
        return self._config.category_labels

    @property
    def sentiment_labels(self) -> tuple[str, ...]:
        """Sentiment names in the order of the sentiment head's outputs."""
        return self._config.sentiment_labels

    @property
    def max_tokens(self) -> int:
        """Number of tokens read per text; later tokens are dropped."""
        return self._config.max_tokens

    @property
    def variant(self) -> Variant:
        """Numeric variant the network runs in."""
        return self._variant

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify `texts` and return one prediction per text, in input order.

        Texts are sorted by token count and run in batches of similar length, so
        that the LSTM runs few steps past the end of most texts in a batch. The
        "onnx" variant batches texts of equal token count. For the float32 and onnx
        variants, a text's probabilities do not depend on the other texts in the
        call.
        """
        _check_texts(texts)
        encoded = [self._encoder.encode(text) for text in texts]
        sequences = [item.indices for item in encoded]
        if self._onnx is not None:
            category_probs, sentiment_probs = self._onnx.probabilities(sequences)
        else:
            category_probs, sentiment_probs = self._torch_probabilities(sequences)

        return [
            self._build_prediction(
                category_probs[i], sentiment_probs[i], item.truncated
            )
            for i, item in enumerate(encoded)
        ]

    def _torch_probabilities(
        self, sequences: list[list[int]]
    ) -> tuple[list[list[float]], list[list[float]]]:
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        category_probs: list[list[float]] = [[] for _ in sequences]
        sentiment_probs: list[list[float]] = [[] for _ in sequences]
        with torch.inference_mode():
            for start in range(0, len(order), self._batch_size):
                batch = order[start : start + self._batch_size]
                token_ids, lengths = pad_batch([sequences[i] for i in batch])
                category_logits, sentiment_logits = self._network(token_ids, lengths)
                category_rows = torch.softmax(category_logits, dim=1).tolist()
                sentiment_rows = torch.softmax(sentiment_logits, dim=1).tolist()
                for position, index in enumerate(batch):
                    category_probs[index] = category_rows[position]
                    sentiment_probs[index] = sentiment_rows[position]
        return category_probs, sentiment_probs

    def _build_prediction(
        self, category_row: list[float], sentiment_row: list[float], truncated: bool
    ) -> Prediction:
        category_index = max(range(len(category_row)), key=category_row.__getitem__)
        sentiment_index = max(range(len(sentiment_row)), key=sentiment_row.__getitem__)
        return Prediction(
            category=self.category_labels[category_index],
            category_confidence=category_row[category_index],
            sentiment=self.sentiment_labels[sentiment_index],
            sentiment_confidence=sentiment_row[sentiment_index],
            probabilities={
                "category": dict(zip(self.category_labels, category_row, strict=True)),
                "sentiment": dict(
                    zip(self.sentiment_labels, sentiment_row, strict=True)
                ),
            },
            truncated=truncated,
        )


def _check_texts(texts: Sequence[str]) -> None:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not a single str")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"texts[{index}] is {type(text).__name__}, expected str; "
                "convert or drop it before predicting"
            )


def _quantize_dynamic(network: nn.Module) -> nn.Module:
    # NOTE: dynamic quantization picks activation scales per batch, so int8
    # probabilities depend slightly on the other texts in the same call.
    with warnings.catch_warnings():
        # torch.ao.quantization warns that it is deprecated in favour of torchao
        # (PyTorch 2.15); it still works and torchao is not a dependency here.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(
            network, {nn.LSTM, nn.Linear}, dtype=torch.qint8
        )
