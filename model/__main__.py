"""Command line for the model package: `python -m model predict ...`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from itertools import islice
from typing import TextIO

from model.exceptions import ModelError
from model.predictor import VARIANTS, Predictor

# Lines read from standard input per call to Predictor.predict.
STDIN_BATCH_SIZE = 64


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `python -m model`."""
    parser = argparse.ArgumentParser(
        prog="python -m model", description="Run a trained feedback classifier."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser(
        "predict",
        help="classify texts and print one JSON object per text",
        description=(
            "Classify each TEXT argument, or each non-empty line of standard input "
            "when no TEXT is given, and print one JSON object per text."
        ),
    )
    predict.add_argument(
        "--artifacts", required=True, help="folder written by `python -m training`"
    )
    predict.add_argument(
        "--variant", choices=VARIANTS, default="float32", help="numeric variant"
    )
    predict.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        predictor = Predictor.load(args.artifacts, variant=args.variant)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    batches = [list(args.texts)] if args.texts else _read_batches(stdin)
    for batch in batches:
        for text, prediction in zip(batch, predictor.predict(batch), strict=True):
            record = {"text": text, "model_version": predictor.model_version}
            record.update(asdict(prediction))
            stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _read_batches(lines: Iterable[str]) -> Iterator[list[str]]:
    # Batches keep output streaming for long inputs while still using the network
    # on several texts at once.
    texts = (line.rstrip("\r\n") for line in lines)
    non_empty = (text for text in texts if text.strip())
    while batch := list(islice(non_empty, STDIN_BATCH_SIZE)):
        yield batch


if __name__ == "__main__":
    raise SystemExit(main())
