"""Benchmark input: feedback records built from the real replay complaints."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

REPLAY_FILE = (
    Path(__file__).resolve().parent.parent / "data/replay/fcc_complaints_replay.csv"
)
PARTITIONS = 4


def replay_texts() -> list[str]:
    """Return the text column of the real complaints, in file order."""
    with open(REPLAY_FILE, newline="", encoding="utf-8") as replay:
        return [row["text"] for row in csv.DictReader(replay)]


def build_values(count: int) -> list[bytes]:
    """Return ``count`` JSON record values cycling through the real complaint texts."""
    texts = replay_texts()
    values = []
    for i in range(count):
        record = {"complaint_id": f"bench-{i:06d}", "text": texts[i % len(texts)]}
        values.append(json.dumps(record).encode())
    return values


def create_topics(
    bootstrap: str, prefix: str, *, log_append_time_output: bool = False
) -> tuple[str, str, str]:
    """Create fresh input, output and dead-letter topics; return their names.

    With ``log_append_time_output`` the broker stamps each output record with the
    time it appended it, which is when the worker's send was acknowledged.
    """
    suffix = uuid.uuid4().hex[:8]
    names = tuple(f"bench.{prefix}.{kind}.{suffix}" for kind in ("raw", "out", "dlq"))
    output_configs = (
        {"message.timestamp.type": "LogAppendTime"} if log_append_time_output else {}
    )
    topics = [
        NewTopic(
            name,
            num_partitions=PARTITIONS,
            replication_factor=1,
            topic_configs=output_configs if kind == "out" else {},
        )
        for name, kind in zip(names, ("raw", "out", "dlq"), strict=True)
    ]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench")
    try:
        admin.create_topics(topics)
    finally:
        admin.close()
    return names  # type: ignore[return-value]


def fill_topic(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Produce ``values`` keyed by position and wait until all are acknowledged."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=256 * 1024
    )
    try:
        for i, value in enumerate(values):
            producer.send(topic, key=str(i).encode(), value=value)
        producer.flush()
    finally:
        producer.close()
