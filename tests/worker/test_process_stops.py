"""The worker as a process: killed with SIGKILL or stopped with SIGTERM mid-stream.

Each test runs ``python -m worker`` twice. The restart uses ``--stop-at-end``, so it
exits by itself once it has processed what the first run left.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient
from worker_harness import (
    command_line,
    committed_offsets,
    feedback_value,
    free_port,
    produce,
    read_all,
    scraped_value,
    stop_process,
    wait_ready,
    wait_until,
    worker_process,
)

BATCH_SIZE = 16
PRODUCED_BEFORE_STOP = 100
TEXT = "Dropped calls all week and nobody at the help desk could explain why"


def _values(start: int, count: int) -> list[bytes]:
    return [feedback_value(f"C-{i:05d}", TEXT) for i in range(start, start + count)]


def _run_to_end(settings: Any, log_path: Path) -> int:
    """Run the worker with --stop-at-end and return its exit code."""
    process = worker_process([*command_line(settings), "--stop-at-end"], log_path)
    return process.wait(timeout=180)


@pytest.mark.kafka
def test_sigkill_then_restart_loses_nothing(
    kafka_bootstrap: str,
    kafka_admin: KafkaAdminClient,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    tmp_path: Path,
) -> None:
    topics = make_topics(partitions=1)
    first_half, second_half = 400, 400
    produce(kafka_bootstrap, topics.input, _values(0, first_half))
    port = free_port()
    settings = make_settings(topics, max_batch_size=BATCH_SIZE, metrics_port=port)
    log_path = tmp_path / "worker.log"

    process = worker_process(command_line(settings), log_path)
    wait_ready(process, port, log_path)
    # The second half arrives while the worker runs, so the kill lands mid-stream.
    streaming = threading.Thread(
        target=produce,
        args=(kafka_bootstrap, topics.input, _values(first_half, second_half)),
    )
    streaming.start()
    wait_until(
        lambda: (
            scraped_value(port, "feedback_worker_records_produced_total")
            >= PRODUCED_BEFORE_STOP
        ),
        timeout_s=120,
        message="worker produced too little before the kill",
    )
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    streaming.join(timeout=60)
    committed = committed_offsets(kafka_admin, settings.group_id, topics.input)[0]
    before_restart = read_all(kafka_bootstrap, topics.output)

    assert len(before_restart) < first_half + second_half
    assert _run_to_end(settings, log_path) == 0

    outputs = [
        json.loads(record.value) for record in read_all(kafka_bootstrap, topics.output)
    ]
    counts = Counter(output["complaint_id"] for output in outputs)
    assert len(counts) == first_half + second_half
    assert max(counts.values()) <= 2
    duplicated_offsets = sorted(
        output["classification"]["input"]["offset"]
        for output in outputs
        if counts[output["complaint_id"]] == 2
    )
    # Only the batch in flight at the kill is produced twice. It starts at the
    # committed offset and contains at most BATCH_SIZE records.
    assert all(committed <= o < committed + BATCH_SIZE for o in duplicated_offsets)


@pytest.mark.kafka
def test_sigterm_commits_acknowledged_and_exits_zero(
    kafka_bootstrap: str,
    kafka_admin: KafkaAdminClient,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    tmp_path: Path,
) -> None:
    topics = make_topics(partitions=2)
    total = 800
    values = _values(0, total)
    produce(kafka_bootstrap, topics.input, values[0::2], partition=0)
    produce(kafka_bootstrap, topics.input, values[1::2], partition=1)
    port = free_port()
    settings = make_settings(topics, max_batch_size=BATCH_SIZE, metrics_port=port)
    log_path = tmp_path / "worker.log"

    process = worker_process(command_line(settings), log_path)
    wait_ready(process, port, log_path)
    wait_until(
        lambda: (
            scraped_value(port, "feedback_worker_records_produced_total")
            >= PRODUCED_BEFORE_STOP
        ),
        timeout_s=120,
        message="worker produced too little before SIGTERM",
    )
    signalled = time.monotonic()
    exit_code = stop_process(process, signal.SIGTERM)
    stop_seconds = time.monotonic() - signalled
    committed = committed_offsets(kafka_admin, settings.group_id, topics.input)
    outputs = [json.loads(r.value) for r in read_all(kafka_bootstrap, topics.output)]

    assert exit_code == 0, log_path.read_text()
    assert stop_seconds < 30
    assert len(outputs) < total
    for partition in (0, 1):
        acknowledged = sorted(
            o["classification"]["input"]["offset"]
            for o in outputs
            if o["classification"]["input"]["partition"] == partition
        )
        assert acknowledged == list(range(committed.get(partition, 0))), partition
    assert "Feedback worker stopped" in log_path.read_text()

    assert _run_to_end(settings, log_path) == 0
    final = [json.loads(r.value) for r in read_all(kafka_bootstrap, topics.output)]
    counts = Counter(output["complaint_id"] for output in final)
    assert len(counts) == total
    assert max(counts.values()) == 1
