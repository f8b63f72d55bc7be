"""Comparison of three LSTM variants and a TF-IDF baseline over several seeds.

Every model is trained and tested on the same splits (those of `config.seed`), and
only the seed for initialisation, shuffling and dropout changes between runs.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.baseline import evaluate_tfidf_baseline
from training.config import TrainingConfig
from training.evaluation import evaluation_metrics
from training.pipeline import prepare_data, train_model
from training.threads import DEFAULT_TRAINING_THREADS, torch_threads

logger = logging.getLogger(__name__)

COMPARISON_METRICS_FILE = "metrics.json"
COMPARISON_REPORT_FILE = "comparison.md"
BASELINE_NAME = "tfidf_logreg"
# Architecture overrides of each neural model. Every other setting comes from the
# training configuration.
NEURAL_MODELS: dict[str, dict[str, Any]] = {
    "lstm": {"bidirectional": False, "pooling": "last"},
    "bilstm": {"bidirectional": True, "pooling": "last"},
    "bilstm_attention": {"bidirectional": True, "pooling": "attention"},
}
MODEL_TITLES = {
    "lstm": "LSTM (unidirectional)",
    "bilstm": "BiLSTM",
    "bilstm_attention": "BiLSTM + attention pooling",
    BASELINE_NAME: "TF-IDF + logistic regression",
}
SCORES = (
    ("category", "accuracy"),
    ("category", "macro_f1"),
    ("sentiment", "accuracy"),
    ("sentiment", "macro_f1"),
)


def run_comparison(
    data_path: Path | str,
    out_dir: Path | str,
    config: TrainingConfig,
    seeds: Sequence[int],
    *,
    threads: int | None = DEFAULT_TRAINING_THREADS,
) -> dict[str, Any]:
    """Train and test every model once per seed; write `metrics.json` and a report.

    `threads` sets the PyTorch CPU threads for the run (`None` keeps the current
    setting).
    """
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    with torch_threads(threads):
        return _run_comparison(data_path, Path(out_dir), config, seeds)


def _run_comparison(
    data_path: Path | str, out_dir: Path, config: TrainingConfig, seeds: Sequence[int]
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = prepare_data(data_path, config)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in MODEL_TITLES}

    for seed in seeds:
        for name, overrides in NEURAL_MODELS.items():
            model_config = config.with_overrides(**overrides)
            logger.info("comparison run model=%s seed=%d", name, seed)
            trained = train_model(prepared, model_config, seed=seed)
            test = evaluation_metrics(
                trained.test, config.category_labels, config.sentiment_labels
            )
            runs[name].append(
                _run_record(seed, test, trained.fit.seconds, trained.fit.best_epoch)
            )
        started = time.perf_counter()
        baseline = evaluate_tfidf_baseline(
            prepared.splits,
            prepared.preprocessor,
            category_labels=config.category_labels,
            sentiment_labels=config.sentiment_labels,
            seed=seed,
        )
        runs[BASELINE_NAME].append(
            _run_record(seed, baseline, time.perf_counter() - started, None)
        )

    results = {
        "data": str(data_path),
        "split_sizes": prepared.splits.sizes(),
        "split_seed": config.seed,
        "seeds": list(seeds),
        "hyperparameters": config.to_dict(),
        "models": {
            name: {"summary": _summarise(model_runs), "runs": model_runs}
            for name, model_runs in runs.items()
        },
    }
    (out_dir / COMPARISON_METRICS_FILE).write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / COMPARISON_REPORT_FILE).write_text(
        render_comparison(results), encoding="utf-8"
    )
    logger.info("comparison written to %s", out_dir)
    return results


def render_comparison(results: dict[str, Any]) -> str:
    """Return the Markdown report of a comparison run."""
    seeds = results["seeds"]
    sizes = results["split_sizes"]
    lines = [
        "# Model comparison",
        "",
        f"Test split of `{results['data']}`: {sizes['test']} texts (train "
        f"{sizes['train']}, validation {sizes['validation']}), stratified by "
        f"(category, sentiment) with split seed {results['split_seed']}.",
        f"Each cell is the mean ± sample standard deviation over {len(seeds)} seeds "
        f"({', '.join(map(str, seeds))}).",
        "",
        "| model | category accuracy | category macro-F1 | sentiment accuracy "
        "| sentiment macro-F1 | train seconds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, model in results["models"].items():
        summary = model["summary"]
        cells = [_format_score(summary[f"{task}_{metric}"]) for task, metric in SCORES]
        seconds = summary["seconds"]["mean"]
        lines.append(f"| {MODEL_TITLES[name]} | {' | '.join(cells)} | {seconds:.1f} |")
    lines += [
        "",
        "The logistic-regression solver (lbfgs) is deterministic, so the baseline has",
        "a standard deviation of 0 on a fixed split.",
        "",
    ]
    return "\n".join(lines)


def _run_record(
    seed: int, metrics: dict[str, Any], seconds: float, best_epoch: int | None
) -> dict[str, Any]:
    record: dict[str, Any] = {"seed": seed, "seconds": round(seconds, 2)}
    if best_epoch is not None:
        record["best_epoch"] = best_epoch
    for task, metric in SCORES:
        record[f"{task}_{metric}"] = metrics[task][metric]
    return record


def _summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    keys = [f"{task}_{metric}" for task, metric in SCORES] + ["seconds"]
    summary = {}
    for key in keys:
        values = [run[key] for run in runs]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        summary[key] = {"mean": statistics.fmean(values), "std": spread}
    return summary


def _format_score(score: dict[str, float]) -> str:
    return f"{score['mean']:.3f} ± {score['std']:.3f}"
