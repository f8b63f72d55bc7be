"""The broker itself: keyed records survive a round trip through a consumer group."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

RECORD_COUNT = 1_000
PARTITIONS = 3
CONSUME_TIMEOUT_S = 60.0


@pytest.mark.kafka
def test_consumer_group_reads_each_record_once(
    kafka_bootstrap: str,
    create_topic: Callable[..., str],
    unique_name: Callable[[str], str],
) -> None:
    topic = create_topic("roundtrip", partitions=PARTITIONS)
    sent = {f"key-{i:04d}": f"value-{i}" for i in range(RECORD_COUNT)}

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    futures = [
        producer.send(topic, key=key.encode(), value=value.encode())
        for key, value in sent.items()
    ]
    producer.flush()
    partitions_written = {future.get(timeout=10).partition for future in futures}
    producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=unique_name("group"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    consumer.subscribe([topic])
    received: list[tuple[str, str]] = []
    try:
        received = _consume_and_commit(consumer, RECORD_COUNT)
        assignment = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        end_offsets = consumer.end_offsets(assignment)
        committed = {tp: consumer.committed(tp) for tp in assignment}
    finally:
        consumer.close()

    counts = Counter(key for key, _ in received)
    assert partitions_written == set(range(PARTITIONS))
    assert set(counts) == set(sent)
    assert max(counts.values()) == 1
    assert dict(received) == sent
    assert committed == end_offsets


def _consume_and_commit(
    consumer: KafkaConsumer, expected: int
) -> list[tuple[str, str]]:
    """Poll until ``expected`` records arrived, committing after each poll."""
    received: list[tuple[str, str]] = []
    deadline = time.monotonic() + CONSUME_TIMEOUT_S
    while len(received) < expected and time.monotonic() < deadline:
        batches = consumer.poll(timeout_ms=500)
        for records in batches.values():
            received.extend((r.key.decode(), r.value.decode()) for r in records)
        if batches:
            consumer.commit()
    return received
