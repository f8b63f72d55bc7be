"""Measure the worker against its two bounds, in one run, and write bench/results.json.

    python -m bench [--records 50000] [--variant onnx]

Stages, each on fresh topics of one broker:

1. passthrough: the worker's consume, produce and commit loop with the model stage
   replaced by a fixed prediction;
2. model only: ``Predictor.predict`` on the same texts, in the worker's batch size;
3. end to end: the real worker with the model, to the end of a pre-filled topic;
4. latency: the real worker fed at half the end-to-end rate.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

from bench.broker import benchmark_broker
from bench.stages import Throughput, measure_latency, measure_model_only, measure_worker
from model import VARIANTS
from worker.classifier import (
    Classifier,
    PassthroughClassifier,
    close_classifier,
    load_predictor,
)
from worker.settings import WorkerSettings

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"
TARGET_RATIO = 0.8


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    default_batch = WorkerSettings.model_fields["max_batch_size"].default
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--records", type=int, default=50_000, help="records per stage (default 50000)"
    )
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts/default"))
    default_variant = WorkerSettings.model_fields["model_variant"].default
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default=default_variant,
        help=f"model variant (default {default_variant})",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=default_batch,
        help=f"worker max batch size (default {default_batch})",
    )
    parser.add_argument(
        "--latency-seconds",
        type=float,
        default=20.0,
        help="length of the fixed-rate latency run, in seconds (default 20)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    return parser.parse_args(argv)


def _optional_version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the four stages and return the results document."""
    # Loading through the worker applies its inference settings (thread count), so
    # the model-only stage runs the model exactly as the worker does. That stage
    # calls the model in this process; the worker stages serve it as the worker
    # does by default, from a child process.
    settings = WorkerSettings(artifacts=args.artifacts, model_variant=args.variant)
    predictor = load_predictor(settings.model_copy(update={"model_process": False}))
    served = load_predictor(settings)
    try:
        with benchmark_broker() as bootstrap:
            stages = _run_stages(args, bootstrap, predictor, served)
    finally:
        close_classifier(served)
    return _results(args, settings, predictor.model_version, *stages)


def _run_stages(
    args: argparse.Namespace,
    bootstrap: str,
    predictor: Classifier,
    served: Classifier,
) -> tuple[Throughput, Throughput, Throughput, float, list[float]]:
    """Measure the four stages on ``bootstrap``; return them and the latency rate."""
    print(f"broker {bootstrap}; {args.records} records per stage", flush=True)
    passthrough = measure_worker(
        bootstrap,
        PassthroughClassifier(),
        args.records,
        batch_size=args.batch_size,
        label="passthrough",
    )
    print(f"passthrough   {passthrough.records_per_second:9.0f} records/s", flush=True)
    model_only = measure_model_only(predictor, args.records, batch_size=args.batch_size)
    print(f"model only    {model_only.records_per_second:9.0f} records/s", flush=True)
    end_to_end = measure_worker(
        bootstrap, served, args.records, batch_size=args.batch_size, label="e2e"
    )
    print(f"end to end    {end_to_end.records_per_second:9.0f} records/s", flush=True)
    rate = end_to_end.records_per_second / 2
    latencies = measure_latency(
        bootstrap,
        served,
        rate=rate,
        duration_s=args.latency_seconds,
        batch_size=args.batch_size,
    )
    return passthrough, model_only, end_to_end, rate, latencies


def _results(
    args: argparse.Namespace,
    settings: WorkerSettings,
    model_version: str,
    passthrough: Throughput,
    model_only: Throughput,
    end_to_end: Throughput,
    rate: float,
    latencies: list[float],
) -> dict[str, object]:
    """Build the results document from the measured stages."""
    bound = min(passthrough.records_per_second, model_only.records_per_second)
    return {
        "passthrough_rps": round(passthrough.records_per_second, 1),
        "model_only_rps": round(model_only.records_per_second, 1),
        "end_to_end_rps": round(end_to_end.records_per_second, 1),
        "latency_rate_rps": round(rate, 1),
        "latency_records": len(latencies),
        "latency_p50_s": round(_percentile(latencies, 0.50), 4),
        "latency_p95_s": round(_percentile(latencies, 0.95), 4),
        "latency_p99_s": round(_percentile(latencies, 0.99), 4),
        "latency_mean_s": round(statistics.fmean(latencies), 4),
        "ratio_end_to_end_to_passthrough": round(
            end_to_end.records_per_second / passthrough.records_per_second, 3
        ),
        "ratio_end_to_end_to_model_only": round(
            end_to_end.records_per_second / model_only.records_per_second, 3
        ),
        "ratio_end_to_end_to_bound": round(end_to_end.records_per_second / bound, 3),
        "target_ratio_to_bound": TARGET_RATIO,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "torch_threads": torch.get_num_threads(),
        },
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "kafka-python": version("kafka-python"),
            "crc32c": version("crc32c"),
            "orjson": version("orjson"),
            "onnxruntime": _optional_version("onnxruntime"),
        },
        "settings": {
            "records": args.records,
            "batch_size": args.batch_size,
            "variant": args.variant,
            "latency_seconds": args.latency_seconds,
            "model_process": settings.model_process,
            "model_version": model_version,
        },
    }


def _print_table(results: dict[str, object]) -> None:
    stages = (
        ("passthrough_rps", "passthrough"),
        ("model_only_rps", "model only"),
        ("end_to_end_rps", "end to end"),
    )
    print()
    print("| stage | records/s |")
    print("| --- | ---: |")
    for key, name in stages:
        print(f"| {name} | {results[key]:,.0f} |")
    print()
    percentiles = ", ".join(
        f"{name} {results[f'latency_{name}_s'] * 1000:.0f} ms"
        for name in ("p50", "p95", "p99")
    )
    print(f"latency at {results['latency_rate_rps']:.0f} records/s: {percentiles}")
    print(f"end to end / passthrough  {results['ratio_end_to_end_to_passthrough']:.2f}")
    print(f"end to end / model only   {results['ratio_end_to_end_to_model_only']:.2f}")
    ratio = results["ratio_end_to_end_to_bound"]
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    target = f"{TARGET_RATIO:.0%}"
    print(f"end to end / slower bound {ratio:.2f} ({verdict} the {target} target)")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s %(message)s"
    )
    args = _parse_args(argv)
    results = run(args)
    _print_table(results)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
