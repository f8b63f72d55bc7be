"""Replay a file of feedback records into the worker's input topic.

Usage::

    python -m worker.produce data/replay/fcc_complaints_replay.csv \\
        --id-column ticket_id --text-column text --rate 200

Each row becomes one JSON object: ``complaint_id`` from ``--id-column``, ``text`` from
``--text-column`` and every other column passed through under its own name (or the name
that ``--rename`` gives it). The record key is the ``complaint_id``. Rows are sent as
they are, including ones the worker will reject (an empty text, say), because a replay
must show what the source holds: the worker routes those to its dead-letter topic.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from tqdm import tqdm

log = logging.getLogger("worker.produce")

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".ndjson")
DEFAULT_TOPIC = "feedback.raw"
DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
METADATA_TIMEOUT_MS = 10_000


class ReplayError(Exception):
    """The replay file or its column mapping cannot be used."""


@dataclass(frozen=True)
class ColumnMapping:
    """Source columns for ``complaint_id`` and ``text``, and renames of the others."""

    id_column: str = "complaint_id"
    text_column: str = "text"
    renames: tuple[tuple[str, str], ...] = ()


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, XLSX or JSON Lines file with every cell as a string."""
    if not path.is_file():
        raise ReplayError(f"replay file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True, dtype=False)
    raise ReplayError(
        f"unsupported replay file type {suffix!r} for {path}: use one of "
        f"{', '.join(SUPPORTED_SUFFIXES)}"
    )


def build_records(table: pd.DataFrame, mapping: ColumnMapping) -> Iterator[dict]:
    """Yield one feedback record per row, as the worker's input schema expects."""
    for column in (mapping.id_column, mapping.text_column):
        if column not in table.columns:
            raise ReplayError(
                f"column {column!r} not found; the file has {list(table.columns)}: "
                f"choose columns with --id-column and --text-column"
            )
    renames = dict(mapping.renames)
    passthrough = [
        c for c in table.columns if c not in (mapping.id_column, mapping.text_column)
    ]
    for row in table.to_dict(orient="records"):
        record = {
            "complaint_id": _identifier(row[mapping.id_column]),
            "text": _json_value(row[mapping.text_column]),
        }
        for column in passthrough:
            record[renames.get(column, column)] = _json_value(row[column])
        yield record


def _identifier(value: object) -> str | None:
    # An id read from JSON Lines may be a number; the worker expects a string.
    value = _json_value(value)
    return None if value is None else str(value)


def _json_value(value: object) -> object:
    # JSON Lines input may hold missing cells, which pandas reads as NaN.
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars from pandas
        return value.item()
    return value


class RateLimiter:
    """Space calls evenly, at most ``rate`` per second; a rate of 0 means no limit."""

    def __init__(self, rate: float) -> None:
        if rate < 0:
            raise ValueError(f"rate must be 0 (no limit) or positive, got {rate}")
        self._interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)  # pacing the send rate, not synchronisation
        self._next = max(self._next, now) + self._interval


def check_topic_exists(bootstrap_servers: str, topic: str) -> None:
    """Raise ``ReplayError`` unless the broker lists ``topic``."""
    # A metadata-only consumer lists topics at once, where the producer would block
    # for max_block_ms before it gave up on a topic that does not exist.
    lister = KafkaConsumer(
        bootstrap_servers=bootstrap_servers, client_id="feedback-replay"
    )
    try:
        topics = lister.topics()
    finally:
        lister.close()
    if topic not in topics:
        raise ReplayError(
            f"topic {topic!r} not found on the broker at {bootstrap_servers}: "
            f"create it first (`make run` creates the worker's topics) or choose "
            f"another with --topic"
        )


def publish(
    records: list[dict],
    *,
    producer: KafkaProducer,
    topic: str,
    rate: float = 0.0,
    progress: bool = True,
    desc: str | None = None,
) -> int:
    """Send every record, wait for the broker to acknowledge each, return the count.

    Raises ``ReplayError`` naming the first failed record when any send fails, so a
    replay never ends with records silently missing.
    """
    limiter = RateLimiter(rate)
    failures: list[tuple[object, BaseException]] = []
    acknowledged = 0
    with tqdm(total=len(records), unit="rec", desc=desc, disable=not progress) as bar:

        def on_success(_metadata: object) -> None:
            nonlocal acknowledged
            acknowledged += 1
            bar.update(1)

        for record in records:
            limiter.wait()
            key = (
                None if record["complaint_id"] is None else str(record["complaint_id"])
            )
            future = producer.send(
                topic,
                key=key.encode() if key is not None else None,
                value=json.dumps(record, ensure_ascii=False).encode(),
            )
            future.add_callback(on_success)
            future.add_errback(lambda exc, k=key: failures.append((k, exc)))
        producer.flush()
    if failures:
        key, exc = failures[0]
        raise ReplayError(
            f"{len(failures)} of {len(records)} records were not acknowledged by the "
            f"broker; the first, complaint_id={key!r}, failed with: {exc}"
        )
    return acknowledged


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m worker.produce",
        description="Publish the rows of a CSV, XLSX or JSON Lines file as feedback "
        "records to a Kafka topic.",
    )
    parser.add_argument("file", type=Path, help="the file to replay")
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("WORKER_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP_SERVERS),
        help="Kafka bootstrap servers (default: $WORKER_BOOTSTRAP_SERVERS or "
        f"{DEFAULT_BOOTSTRAP_SERVERS})",
    )
    parser.add_argument(
        "--topic",
        default=os.environ.get("WORKER_INPUT_TOPIC", DEFAULT_TOPIC),
        help=f"topic to publish to (default: $WORKER_INPUT_TOPIC or {DEFAULT_TOPIC})",
    )
    parser.add_argument(
        "--id-column",
        default="complaint_id",
        help="column whose value becomes complaint_id and the record key "
        "(default: complaint_id)",
    )
    parser.add_argument(
        "--text-column", default="text", help="column holding the text (default: text)"
    )
    parser.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="SOURCE=TARGET",
        help="publish column SOURCE under the name TARGET; repeatable",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="maximum records per second (default: 0, no limit)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="publish only the first N rows"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="do not draw a progress bar"
    )
    return parser.parse_args(argv)


def _parse_renames(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    renames = []
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise ReplayError(f"invalid --rename {pair!r}: expected SOURCE=TARGET")
        renames.append((source, target))
    return tuple(renames)


def main(argv: list[str] | None = None) -> int:
    """Run the replay producer from the command line; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    # kafka-python logs every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    args = _parse_args(argv)
    try:
        mapping = ColumnMapping(
            args.id_column, args.text_column, _parse_renames(args.rename)
        )
        table = read_table(args.file)
        if args.limit is not None:
            table = table.head(args.limit)
        records = list(build_records(table, mapping))
        check_topic_exists(args.bootstrap_servers, args.topic)
        producer = KafkaProducer(
            bootstrap_servers=args.bootstrap_servers,
            acks="all",
            linger_ms=5,
            retries=5,
            max_block_ms=METADATA_TIMEOUT_MS,
            client_id="feedback-replay",
        )
    except ReplayError as exc:
        log.error("%s", exc)
        return 2
    except KafkaError as exc:
        # kafka-python 3.0 raises KafkaTimeoutError here when no broker is reachable.
        log.error(
            "could not connect to a Kafka broker at %s (%s): start one with "
            "`make kafka-up` or pass --bootstrap-servers",
            args.bootstrap_servers,
            exc,
        )
        return 2
    try:
        sent = publish(
            records,
            producer=producer,
            topic=args.topic,
            rate=args.rate,
            progress=not args.no_progress,
        )
    except (ReplayError, KafkaError) as exc:
        log.error("replay of %s to %s failed: %s", args.file, args.topic, exc)
        return 1
    finally:
        producer.close()
    log.info("published %d records from %s to %s", sent, args.file, args.topic)
    return 0


if __name__ == "__main__":
    sys.exit(main())
