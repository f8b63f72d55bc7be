"""Compare the Predictor's serving variants on the real complaints.

    python -m bench.variants [--artifacts artifacts/default] [--batch-size 256]

For each variant: records per second at the worker's batch size and at batch 1, and
its agreement with float32 (same labels for every text, and the largest difference of
any probability).

- ``float32``: the stored weights, packed sequences;
- ``int8``: PyTorch dynamic quantization of the LSTM and linear layers;
- ``onnx``: ONNX Runtime on the float32 weights, fed batches of equal-length texts so
  that no padding is needed (packing does not export to ONNX);
- ``compile``: ``torch.compile`` of the float32 network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from bench.records import replay_texts
from model import Predictor
from worker.settings import WorkerSettings

AGREEMENT_TOLERANCE = 0.01
BatchProbabilities = Callable[[Sequence[str]], np.ndarray]


def predictor_probabilities(predictor: Predictor) -> BatchProbabilities:
    """Return a function giving each text's category then sentiment probabilities."""

    def run(texts: Sequence[str]) -> np.ndarray:
        rows = []
        for prediction in predictor.predict(texts):
            rows.append(
                [*prediction.probabilities["category"].values()]
                + [*prediction.probabilities["sentiment"].values()]
            )
        return np.asarray(rows)

    return run


def measure(run: BatchProbabilities, texts: list[str], batch_size: int) -> float:
    """Return records per second of ``run`` over ``texts`` in batches."""
    run(texts[:batch_size])  # warm-up
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        run(texts[start : start + batch_size])
    return len(texts) / (time.perf_counter() - started)


def probabilities(
    run: BatchProbabilities, texts: list[str], batch_size: int
) -> np.ndarray:
    return np.concatenate(
        [run(texts[s : s + batch_size]) for s in range(0, len(texts), batch_size)]
    )


def compare(artifacts: Path, batch_size: int, single_limit: int) -> list[dict]:
    """Measure every variant; return one row per variant."""
    texts = replay_texts()
    float32 = Predictor.load(artifacts, variant="float32")
    variants: dict[str, Callable[[], BatchProbabilities]] = {
        "float32": lambda: predictor_probabilities(float32),
        "int8": lambda: predictor_probabilities(
            Predictor.load(artifacts, variant="int8")
        ),
        "onnx": lambda: predictor_probabilities(
            Predictor.load(artifacts, variant="onnx")
        ),
        "compile": lambda: _compiled(artifacts),
    }
    reference = probabilities(variants["float32"](), texts, batch_size)
    categories = len(float32.category_labels)
    rows = []
    for name, build in variants.items():
        try:
            run = build()
            found = probabilities(run, texts, batch_size)
        except Exception as exc:  # a variant that cannot run is reported, not fatal
            rows.append({"variant": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        same_labels = bool(
            (
                found[:, :categories].argmax(1) == reference[:, :categories].argmax(1)
            ).all()
            and (
                found[:, categories:].argmax(1) == reference[:, categories:].argmax(1)
            ).all()
        )
        max_difference = float(np.abs(found - reference).max())
        rows.append(
            {
                "variant": name,
                "batch_rps": round(measure(run, texts, batch_size), 1),
                "single_rps": round(measure(run, texts[:single_limit], 1), 1),
                "same_labels": same_labels,
                "max_probability_difference": round(max_difference, 6),
                "agrees": same_labels and max_difference <= AGREEMENT_TOLERANCE,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _compiled(artifacts: Path) -> BatchProbabilities:
    predictor = Predictor.load(artifacts, variant="float32")
    # NOTE: reaches into the Predictor, because compiling is a benchmark experiment
    # and not a served variant.
    predictor._network = torch.compile(predictor._network)
    return predictor_probabilities(predictor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.variants")
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts/default"))
    default_batch = WorkerSettings.model_fields["max_batch_size"].default
    parser.add_argument(
        "--batch-size",
        type=int,
        default=default_batch,
        help=f"records per predict call (default {default_batch}, the worker's)",
    )
    parser.add_argument(
        "--single-limit",
        type=int,
        default=600,
        help="texts timed at batch 1 (default 600)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/variants.json"))
    args = parser.parse_args(argv)
    # The same thread count as the worker, so the rates compare with bench results.
    torch.set_num_threads(WorkerSettings.model_fields["inference_threads"].default)
    rows = compare(args.artifacts, args.batch_size, args.single_limit)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
