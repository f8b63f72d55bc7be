"""The three measured stages: passthrough, model only, end to end, and latency."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from bench.records import build_values, create_topics, fill_topic, replay_texts
from worker.app import Worker
from worker.classifier import Classifier
from worker.settings import WorkerSettings

READ_BACK_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Throughput:
    """A processing rate, and the record count and seconds it was measured over."""

    records: int
    span_s: float
    records_per_second: float

    @classmethod
    def between_timestamps(cls, timestamps_ms: list[int]) -> Throughput:
        """Rate of records whose first and last broker timestamps are known.

        N timestamps span N - 1 intervals, so the rate counts N - 1 records.
        """
        span_s = (max(timestamps_ms) - min(timestamps_ms)) / 1000
        rate = (len(timestamps_ms) - 1) / span_s if span_s > 0 else 0.0
        return cls(records=len(timestamps_ms), span_s=span_s, records_per_second=rate)

    @classmethod
    def over_duration(cls, records: int, span_s: float) -> Throughput:
        """Rate of ``records`` processed in ``span_s`` seconds of wall time."""
        rate = records / span_s if span_s > 0 else 0.0
        return cls(records=records, span_s=span_s, records_per_second=rate)


def worker_settings(
    bootstrap: str, topics: tuple[str, str, str], *, batch_size: int, **overrides
) -> WorkerSettings:
    """Return worker settings for one benchmark run on its own topics and group."""
    raw, out, dlq = topics
    return WorkerSettings(
        bootstrap_servers=bootstrap,
        input_topic=raw,
        output_topic=out,
        dlq_topic=dlq,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        max_batch_size=batch_size,
        metrics_port=0,
        **overrides,
    )


def measure_worker(
    bootstrap: str, classifier: Classifier, count: int, *, batch_size: int, label: str
) -> Throughput:
    """Fill a topic with ``count`` records, run the worker to its end, time the output.

    The worker runs with ``stop_at_end``. Its rate is taken from the broker's append
    times of the first and last output record, so start-up and group joining are
    not counted.
    """
    topics = create_topics(bootstrap, label, log_append_time_output=True)
    fill_topic(bootstrap, topics[0], build_values(count))
    settings = worker_settings(
        bootstrap, topics, batch_size=batch_size, stop_at_end=True
    )
    Worker(settings, predictor=classifier, registry=CollectorRegistry()).run()
    timestamps = [t for t, _ in read_output(bootstrap, topics[1], count)]
    if len(timestamps) != count:
        raise RuntimeError(
            f"{label}: expected {count} output records, got {len(timestamps)}"
        )
    return Throughput.between_timestamps(timestamps)


def measure_model_only(
    classifier: Classifier, count: int, *, batch_size: int
) -> Throughput:
    """Time ``predict`` on the texts the worker stage gets, in its batch size."""
    texts = replay_texts()
    inputs = [texts[i % len(texts)] for i in range(count)]
    classifier.predict(inputs[:batch_size])  # warm-up: first calls allocate
    started = time.perf_counter()
    for start in range(0, count, batch_size):
        classifier.predict(inputs[start : start + batch_size])
    return Throughput.over_duration(count, time.perf_counter() - started)


def measure_latency(
    bootstrap: str,
    classifier: Classifier,
    *,
    rate: float,
    duration_s: float,
    batch_size: int,
) -> list[float]:
    """Feed records at ``rate`` per second for ``duration_s``; return latencies in s.

    A record's latency runs from its create time at the producer to the broker's
    append time of its enriched output, which follows the worker's send by the
    length of one produce request.
    """
    topics = create_topics(bootstrap, "latency", log_append_time_output=True)
    count = max(1, int(rate * duration_s))
    values = build_values(count)
    settings = worker_settings(bootstrap, topics, batch_size=batch_size)
    worker = Worker(settings, predictor=classifier, registry=CollectorRegistry())
    runner = threading.Thread(target=worker.run, name="bench-worker", daemon=True)
    runner.start()
    try:
        _wait_for_assignment(worker)
        sent_at = _send_paced(bootstrap, topics[0], values, rate)
        outputs = read_output(bootstrap, topics[1], count)
    finally:
        worker.request_stop()
        runner.join(timeout=60)
    return sorted((appended - sent_at[key]) / 1000 for appended, key in outputs)


def _wait_for_assignment(worker: Worker, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not worker.assignment:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker got no partitions within {timeout_s:.0f} s")
        time.sleep(0.05)  # polling the worker's assignment; it has no event for it


def _send_paced(
    bootstrap: str, topic: str, values: list[bytes], rate: float
) -> dict[str, int]:
    """Send ``values`` evenly spaced at ``rate`` per second; return send times in ms."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=0)
    sent_at: dict[str, int] = {}
    interval = 1.0 / rate
    next_send = time.monotonic()
    try:
        for i, value in enumerate(values):
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing the input rate
            key = f"bench-{i:06d}"
            now_ms = int(time.time() * 1000)
            producer.send(topic, key=key.encode(), value=value, timestamp_ms=now_ms)
            sent_at[key] = now_ms
            next_send += interval
        producer.flush()
    finally:
        producer.close()
    return sent_at


def read_output(bootstrap: str, topic: str, expected: int) -> list[tuple[int, str]]:
    """Read ``expected`` records of ``topic``; return (timestamp in ms, key) pairs."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="bench-reader"
    )
    partitions = [
        TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    found: list[tuple[int, str]] = []
    deadline = time.monotonic() + READ_BACK_TIMEOUT_S
    try:
        while len(found) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500, max_records=10_000).values():
                found.extend((r.timestamp, r.key.decode()) for r in records)
    finally:
        consumer.close()
    return found
