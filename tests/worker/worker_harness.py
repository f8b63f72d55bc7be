"""Helpers for the worker's broker tests: produce input, read topics, run workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.consumer.fetcher import ConsumerRecord

from worker import Worker, WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
READ_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.05


def feedback_value(complaint_id: str, text: str, **extra: Any) -> bytes:
    """Return the JSON value of one input record."""
    return json.dumps({"complaint_id": complaint_id, "text": text, **extra}).encode()


def produce(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes | None],
    *,
    keys: Sequence[bytes | None] | None = None,
    partition: int | None = None,
    timestamp_ms: int | None = None,
) -> None:
    """Produce ``values`` to ``topic`` and wait until the broker acknowledged all."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        futures = [
            producer.send(
                topic,
                value=value,
                key=None if keys is None else keys[index],
                partition=partition,
                timestamp_ms=timestamp_ms,
            )
            for index, value in enumerate(values)
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=10)
    finally:
        producer.close(timeout=10)


def read_records(
    bootstrap: str, topic: str, *, count: int, timeout_s: float = READ_TIMEOUT_S
) -> list[ConsumerRecord]:
    """Read ``topic`` from the start until ``count`` records arrived or time is up.

    Reads without a consumer group, so it changes no committed offset. Returns what
    arrived, which may be fewer than ``count``: the caller asserts.
    """
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p)
            for p in sorted(consumer.partitions_for_topic(topic))
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Read every record of ``topic`` up to its current end offsets."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p)
            for p in sorted(consumer.partitions_for_topic(topic))
        ]
        end = consumer.end_offsets(partitions)
    finally:
        consumer.close()
    return read_records(bootstrap, topic, count=sum(end.values()))


def json_values(records: Sequence[ConsumerRecord]) -> list[dict[str, Any]]:
    """Decode each record value as JSON."""
    return [json.loads(record.value) for record in records]


def committed_offsets(
    admin: KafkaAdminClient, group_id: str, topic: str
) -> dict[int, int]:
    """Return the group's committed offset per partition of ``topic``."""
    offsets = admin.list_group_offsets({group_id: None}).get(group_id, {})
    return {
        tp.partition: meta.offset
        for tp, meta in offsets.items()
        if tp.topic == topic and meta.offset >= 0
    }


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    condition: Callable[[], bool], *, timeout_s: float, message: str
) -> None:
    """Poll ``condition`` until true, or raise AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s: {message}")
        time.sleep(POLL_INTERVAL_S)


def http_get(port: int, path: str) -> tuple[int, str]:
    """GET ``path`` from 127.0.0.1:``port`` and return status and body."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def probe_status(port: int, path: str) -> int | None:
    """Return the HTTP status of ``path``, or None while nothing listens."""
    try:
        return http_get(port, path)[0]
    except OSError:
        return None


class WorkerThread:
    """Runs `Worker.run` in a thread and keeps its result or exception."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker", daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:  # handed to the test through self.error
            self.error = exc
        finally:
            self.finished.set()

    def start(self) -> WorkerThread:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Request a stop and wait for `run` to return."""
        self.worker.request_stop()
        self.join(timeout_s)

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise AssertionError(f"worker still running {timeout_s:.0f} s after stop")


@contextmanager
def running(worker: Worker) -> Iterator[WorkerThread]:
    """Run ``worker`` in a thread for the block, then stop it and re-raise errors."""
    handle = WorkerThread(worker).start()
    try:
        yield handle
    finally:
        if not handle.finished.is_set():
            handle.stop()
    if handle.error is not None:
        raise handle.error


def wait_assigned(*workers: Worker, partitions: int, timeout_s: float = 60.0) -> None:
    """Wait until ``workers`` together own ``partitions`` partitions, each some."""

    def settled() -> bool:
        owned = [worker.assignment for worker in workers]
        return all(owned) and sum(len(o) for o in owned) == partitions

    wait_until(settled, timeout_s=timeout_s, message="partitions not assigned")


def worker_process(
    arguments: Sequence[str], log_path: Path, *, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python -m worker`` with ``arguments``, logging to ``log_path``."""
    log_file = log_path.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "worker", *arguments],
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    finally:
        log_file.close()


def wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait until the worker process returns 200 on /readyz."""

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"worker exited with {process.returncode}:\n{log_path.read_text()}"
            )
        return probe_status(port, "/readyz") == 200

    wait_until(ready, timeout_s=120, message=f"worker not ready, see {log_path}")


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Send ``sig`` to a still running worker process and return its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=60)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape /metrics and return every sample by name and sorted labels."""
    from prometheus_client.parser import text_string_to_metric_families

    status, body = http_get(port, "/metrics")
    if status != 200:
        raise AssertionError(f"/metrics returned {status}: {body}")
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def scraped_value(port: int, name: str, **labels: str) -> float:
    """Return one sample from /metrics, or 0.0 when the series does not exist."""
    return scrape(port).get((name, tuple(sorted(labels.items()))), 0.0)


def command_line(settings: WorkerSettings) -> list[str]:
    """Return the ``python -m worker`` options that reproduce ``settings``."""
    from worker.settings import ENVIRONMENT_ONLY

    arguments: list[str] = []
    for name, field in WorkerSettings.model_fields.items():
        value = getattr(settings, name)
        if name in ENVIRONMENT_ONLY or value == field.default:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            arguments.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, datetime):
            arguments += [flag, value.isoformat()]
        else:
            arguments += [flag, str(value)]
    return arguments


class TopicReader:
    """Reads a topic from its start, without a group, across several calls."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False
        )
        partitions = [
            TopicPartition(topic, p)
            for p in sorted(self._consumer.partitions_for_topic(topic))
        ]
        self._consumer.assign(partitions)
        self._consumer.seek_to_beginning(*partitions)
        self.records: list[ConsumerRecord] = []

    def read(self) -> list[ConsumerRecord]:
        """Add what arrived since the last call to `records`, and return them."""
        for batch in self._consumer.poll(timeout_ms=100).values():
            self.records.extend(batch)
        return self.records

    def complaint_ids(self) -> set[str]:
        """Return the complaint ids of the JSON values read so far."""
        return {json.loads(record.value)["complaint_id"] for record in self.read()}

    def close(self) -> None:
        self._consumer.close()
