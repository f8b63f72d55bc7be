"""Measure the preprocessing cost per text: `python -m model.preprocess_bench`.

Times `Preprocessor.tokenize` over complaint-length texts and prints the best and the
median of several rounds in microseconds per text. Options add reference timings on
the same texts: a bare compiled `re.findall(r"\\w+")`, the tokenizer pattern under
NLTK's stock timed `regex` engine, and NLTK's Treebank word tokenizer.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Sequence
from itertools import cycle, islice

from model.preprocessing import TOKEN_PATTERN, Preprocessor

# Texts written for this benchmark. They span ticket titles, chats, reviews and
# e-mails, with a mean length of 56 characters.
SAMPLE_TEXTS = (
    "No signal since Monday",
    "Billed twice for March, $59.99 taken two times!!",
    "Agent was super helpful and fixed my issue in 10 min :)",
    "internet keeps dropping every evening since the upgrade, i've restarted the "
    "router five times and nothing changes",
    "Why is my bill £30 higher?? I didn't change anything 😡",
    "Technician didn’t show up AGAIN. Second missed appointment this month.",
    "Great coverage downtown, 5G speeds are amazing 👍🏽",
    "Cust reports intermittent outages, modem lights blinking orange",
    "Refund finally received, thanks",
    "On hold for 2 hours then disconnected, worst support ever",
)


def measure(
    tokenize: Callable[[str], object], texts: Sequence[str], rounds: int
) -> list[float]:
    """Return the microseconds per text of each round over `texts`."""
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            tokenize(text)
        results.append((time.perf_counter() - started) / len(texts) * 1e6)
    return results


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m model.preprocess_bench")
    parser.add_argument("--records", type=int, default=50_000, help="texts per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time a bare compiled re.findall(r'\\w+'), a floor for any "
        "regular-expression tokenizer on this machine",
    )
    parser.add_argument(
        "--compare-engines",
        action="store_true",
        help="also time the tokenizer alone on cleaned texts, with the stdlib re "
        "engine used here and with NLTK's stock timed regex engine",
    )
    parser.add_argument(
        "--treebank",
        action="store_true",
        help="also time NLTK's Treebank word tokenizer, which is much slower",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one line per timed function."""
    args = build_parser().parse_args(argv)
    texts = list(islice(cycle(SAMPLE_TEXTS), args.records))
    mean_chars = statistics.fmean(len(text) for text in texts)
    print(f"{len(texts)} texts, mean length {mean_chars:.0f} characters")

    preprocessor = Preprocessor()
    cleaned = [preprocessor.clean(text) for text in texts]
    candidates: list[tuple[str, Callable[[str], object], list[str]]] = [
        ("Preprocessor.tokenize", preprocessor.tokenize, texts)
    ]
    if args.reference:
        candidates.append(("re.findall(r'\\w+')", re.compile(r"\w+").findall, texts))
    if args.compare_engines:
        from nltk.tokenize import RegexpTokenizer

        from model.preprocessing import _StdlibRegexpTokenizer

        stdlib = _StdlibRegexpTokenizer(TOKEN_PATTERN).tokenize
        stock = RegexpTokenizer(TOKEN_PATTERN).tokenize
        candidates.append(("tokenizer, stdlib re", stdlib, cleaned))
        candidates.append(("tokenizer, NLTK stock", stock, cleaned))
    if args.treebank:
        from nltk.tokenize import NLTKWordTokenizer

        candidates.append(("NLTKWordTokenizer", NLTKWordTokenizer().tokenize, texts))

    for name, tokenize, inputs in candidates:
        rounds = measure(tokenize, inputs, args.rounds)
        print(
            f"{name:24s} best {min(rounds):7.2f} us/text, "
            f"median {statistics.median(rounds):7.2f} us/text"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
