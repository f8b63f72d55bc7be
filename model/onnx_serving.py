"""ONNX Runtime execution of a trained network, for the Predictor's "onnx" variant.

Packed sequences do not export to ONNX. The exported graph therefore runs the LSTM
over unpadded input, and texts are grouped into batches of equal token count. With no
padding in a batch, the final LSTM states (and the attention weights) are the same as
with packed sequences, so the probabilities match the float32 variant. On the replay
complaints they differ by less than 1e-6.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from model.network import MultiTaskLSTMClassifier


class _UnpaddedNetwork(nn.Module):
    """The classifier's forward pass for batches of equal-length sequences.

    Returns the category probabilities followed by the sentiment probabilities, one
    row per sequence.
    """

    def __init__(self, network: MultiTaskLSTMClassifier) -> None:
        super().__init__()
        self.network = network

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        net = self.network
        outputs, (h_n, _) = net.encoder(net.embedding(token_ids))
        if net.attention is not None:
            # No padding, so every step takes part in the weighted mean.
            weights = torch.softmax(net.attention.score(outputs).squeeze(-1), dim=1)
            sentence = torch.bmm(weights.unsqueeze(1), outputs).squeeze(1)
        elif net.config.bidirectional:
            sentence = torch.cat((h_n[-2], h_n[-1]), dim=1)
        else:
            sentence = h_n[-1]
        category = torch.softmax(net.category_head(sentence), dim=1)
        sentiment = torch.softmax(net.sentiment_head(sentence), dim=1)
        return torch.cat((category, sentiment), dim=1)


class OnnxNetwork:
    """An ONNX Runtime session over the exported network.

    Exporting takes about a second, once per load.
    """

    def __init__(self, network: MultiTaskLSTMClassifier, *, threads: int) -> None:
        import onnxruntime

        self._num_categories = network.config.num_categories
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            _export(network), options, providers=["CPUExecutionProvider"]
        )

    def probabilities(
        self, sequences: Sequence[Sequence[int]]
    ) -> tuple[list[list[float]], list[list[float]]]:
        """Return category and sentiment probabilities per sequence, in input order."""
        buckets: dict[int, list[int]] = {}
        for index, sequence in enumerate(sequences):
            buckets.setdefault(len(sequence), []).append(index)
        rows: list[list[float]] = [[] for _ in sequences]
        for members in buckets.values():
            token_ids = np.asarray([sequences[i] for i in members], dtype=np.int64)
            (probabilities,) = self._session.run(None, {"token_ids": token_ids})
            for index, row in zip(members, probabilities.tolist(), strict=True):
                rows[index] = row
        split = self._num_categories
        return [row[:split] for row in rows], [row[split:] for row in rows]


def _export(network: MultiTaskLSTMClassifier) -> bytes:
    buffer = io.BytesIO()
    example = torch.ones((2, 3), dtype=torch.long)
    with warnings.catch_warnings():
        # The TorchScript-based exporter warns about LSTM batch sizes and its own
        # deprecation; neither changes the exported graph for this network.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _UnpaddedNetwork(network).eval(),
            (example,),
            buffer,
            input_names=["token_ids"],
            output_names=["probabilities"],
            dynamic_axes={"token_ids": {0: "batch", 1: "time"}},
            dynamo=False,
        )
    return buffer.getvalue()
