"""Replay mode: --stop-at-end and --from-timestamp."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient
from worker_harness import (
    WorkerThread,
    committed_offsets,
    feedback_value,
    produce,
    read_all,
    wait_until,
)

from worker import Worker

TEXT = "My contract was renewed without asking me"


def _ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{i:03d}" for i in range(count)]


@pytest.mark.kafka
def test_stop_at_end_ignores_later_records(
    kafka_bootstrap: str,
    kafka_admin: KafkaAdminClient,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics(partitions=2)
    before = _ids("OLD", 50)
    for partition in (0, 1):
        produce(
            kafka_bootstrap,
            topics.input,
            [feedback_value(i, TEXT) for i in before[partition::2]],
            partition=partition,
        )
    settings = make_settings(topics, stop_at_end=True, max_batch_size=8)
    handle = WorkerThread(Worker(settings, predictor=predictor)).start()

    wait_until(
        lambda: bool(handle.worker.assignment) or handle.finished.is_set(),
        timeout_s=60,
        message="worker never joined the group",
    )
    produce(
        kafka_bootstrap,
        topics.input,
        [feedback_value(i, TEXT) for i in _ids("NEW", 20)],
    )
    assert handle.finished.wait(timeout=60), "worker did not stop at the end offsets"
    outputs = [
        json.loads(r.value)["complaint_id"]
        for r in read_all(kafka_bootstrap, topics.output)
    ]

    assert handle.error is None
    assert sorted(outputs) == sorted(before)
    assert committed_offsets(kafka_admin, settings.group_id, topics.input) == {
        0: 25,
        1: 25,
    }


@pytest.mark.kafka
def test_from_timestamp_skips_older_records(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics()
    now = datetime.now(UTC)
    old_ms = int((now - timedelta(hours=2)).timestamp() * 1000)
    recent_ms = int((now - timedelta(hours=1)).timestamp() * 1000)
    produce(
        kafka_bootstrap,
        topics.input,
        [feedback_value(i, TEXT) for i in _ids("OLD", 10)],
        timestamp_ms=old_ms,
    )
    produce(
        kafka_bootstrap,
        topics.input,
        [feedback_value(i, TEXT) for i in _ids("RECENT", 10)],
        timestamp_ms=recent_ms,
    )
    settings = make_settings(
        topics, stop_at_end=True, from_timestamp=now - timedelta(minutes=90)
    )
    started = time.monotonic()

    Worker(settings, predictor=predictor).run()
    outputs = [
        json.loads(r.value)["complaint_id"]
        for r in read_all(kafka_bootstrap, topics.output)
    ]

    assert time.monotonic() - started < 60
    assert sorted(outputs) == _ids("RECENT", 10)
