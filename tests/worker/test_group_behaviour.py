"""Several workers in one group: partitions shared, and a stalled member replaced."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from worker_harness import (
    TopicReader,
    feedback_value,
    produce,
    read_records,
    running,
    wait_assigned,
    wait_until,
)

from worker import Worker

TEXT = "The bill shows a roaming charge although I never left the country"


@pytest.mark.kafka
def test_two_workers_share_partitions(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics(partitions=4)
    settings = make_settings(topics)
    first = Worker(settings, predictor=predictor)
    second = Worker(settings, predictor=predictor)
    total = 200

    with running(first), running(second):
        wait_assigned(first, second, partitions=4)
        assignments = (first.assignment, second.assignment)
        for partition in range(4):
            produce(
                kafka_bootstrap,
                topics.input,
                [
                    feedback_value(f"C-{i:04d}", TEXT)
                    for i in range(partition, total, 4)
                ],
                partition=partition,
            )
        wait_until(
            lambda: first.totals.produced + second.totals.produced >= total,
            timeout_s=60,
            message="workers did not produce every record",
        )
    outputs = read_records(kafka_bootstrap, topics.output, count=total)
    counts = Counter(json.loads(record.value)["complaint_id"] for record in outputs)

    assert assignments[0]
    assert assignments[1]
    assert not assignments[0] & assignments[1]
    assert first.totals.produced > 0
    assert second.totals.produced > 0
    assert len(counts) == total
    assert max(counts.values()) == 1
    assert first.totals.produced + second.totals.produced == total


class StallingClassifier:
    """Wraps a predictor and blocks its first call until released."""

    def __init__(self, predictor: Any) -> None:
        self._predictor = predictor
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.model_version = predictor.model_version
        self.category_labels = predictor.category_labels
        self.sentiment_labels = predictor.sentiment_labels

    def predict(self, texts: Sequence[str]) -> Any:
        if not self.stalled.is_set():
            self.stalled.set()
            self.release.wait(timeout=60)
        return self._predictor.predict(texts)


@pytest.mark.kafka
def test_stalled_batch_loses_nothing(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics(partitions=2)
    group_settings = make_settings(topics)
    stalling = StallingClassifier(predictor)
    # Only the stalling member gets a short max.poll.interval.ms, so it is the
    # one the group drops while its batch hangs.
    slow = Worker(
        group_settings.model_copy(update={"max_poll_interval_ms": 3_000}),
        predictor=stalling,
    )
    healthy = Worker(group_settings, predictor=predictor)
    per_partition = 60
    expected = {f"C-{p}-{i:03d}" for p in range(2) for i in range(per_partition)}
    reader = TopicReader(kafka_bootstrap, topics.output)

    try:
        with running(slow), running(healthy):
            wait_assigned(slow, healthy, partitions=2)
            for partition in range(2):
                produce(
                    kafka_bootstrap,
                    topics.input,
                    [
                        feedback_value(f"C-{partition}-{i:03d}", TEXT)
                        for i in range(per_partition)
                    ],
                    partition=partition,
                )
            assert stalling.stalled.wait(timeout=60)
            wait_until(
                lambda: len(healthy.assignment) == 2,
                timeout_s=60,
                message="the healthy worker did not take over the stalled partition",
            )
            stalling.release.set()
            wait_until(
                lambda: reader.complaint_ids() >= expected,
                timeout_s=90,
                message="records missing from the output",
            )
            wait_until(
                lambda: slow.totals.commit_failures >= 1,
                timeout_s=30,
                message="the stalled worker's commit was not rejected",
            )
        produced_ids = reader.complaint_ids()
    finally:
        reader.close()

    assert produced_ids == expected
    assert slow.totals.commit_failures >= 1
    assert (
        slow.metrics.registry.get_sample_value("feedback_worker_commit_failures_total")
        == slow.totals.commit_failures
    )
