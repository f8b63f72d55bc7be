"""Command line of `python -m training`."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from model.network import POOLING_CHOICES
from training.comparison import run_comparison
from training.config import TrainingConfig
from training.exceptions import TrainingError
from training.pipeline import run_training
from training.threads import DEFAULT_TRAINING_THREADS

logger = logging.getLogger(__name__)

DEFAULT_SEEDS = (0, 1, 2, 3, 4)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with one option per field of `TrainingConfig`."""
    parser = argparse.ArgumentParser(
        prog="python -m training",
        description=(
            "Train the multi-task feedback classifier and write its artifacts, or "
            "with --compare, compare four models over several seeds."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--data",
        required=True,
        help="labelled .xlsx or .csv sheet with the columns "
        "complaint_id, text, category, sentiment",
    )
    parser.add_argument(
        "--out", required=True, help="output folder for artifacts, reports and plots"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="train LSTM, BiLSTM, BiLSTM with attention and a TF-IDF baseline once "
        "per seed and write metrics.json and comparison.md instead of artifacts",
    )
    parser.add_argument(
        "--seeds",
        type=_parse_ints,
        default=",".join(map(str, DEFAULT_SEEDS)),
        help="comma-separated model seeds for --compare",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_TRAINING_THREADS,
        help="number of PyTorch CPU threads (more rarely speed up the small batches)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="lowest level of log messages printed to standard error",
    )
    hyperparameters = parser.add_argument_group("hyperparameters")
    for config_field in fields(TrainingConfig):
        _add_hyperparameter(
            hyperparameters,
            config_field.name,
            config_field.default,
            config_field.metadata["help"],
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    overrides = {f.name: getattr(args, f.name) for f in fields(TrainingConfig)}
    try:
        config = TrainingConfig(**overrides)
    except ValueError as exc:
        print(f"error: invalid hyperparameters: {exc}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    try:
        if args.compare:
            run_comparison(
                args.data, args.out, config, args.seeds, threads=args.threads
            )
        else:
            run_training(args.data, args.out, config, threads=args.threads)
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    logger.info("done in %.1f s, output in %s", time.perf_counter() - started, args.out)
    return 0


def _add_hyperparameter(
    group: argparse._ArgumentGroup, name: str, default: Any, help_text: str
) -> None:
    flag = "--" + name.replace("_", "-")
    if isinstance(default, bool):
        group.add_argument(
            flag, action=argparse.BooleanOptionalAction, default=default, help=help_text
        )
    elif isinstance(default, tuple):
        group.add_argument(
            flag, type=_parse_names, default=",".join(default), help=help_text
        )
    elif name == "pooling":
        group.add_argument(
            flag, choices=POOLING_CHOICES, default=default, help=help_text
        )
    else:
        group.add_argument(flag, type=type(default), default=default, help=help_text)


def _parse_names(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty name in {value!r}")
    return names


def _parse_ints(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in value.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {value!r}"
        ) from exc
