"""Small parts of the worker: pending batch, metrics, HTTP server, rebalance state."""

from __future__ import annotations

import urllib.request
from concurrent.futures import Future
from dataclasses import dataclass

from kafka import OffsetAndMetadata, TopicPartition
from prometheus_client import CollectorRegistry
from worker_harness import http_get

from worker import PassthroughClassifier, Worker, WorkerSettings
from worker.batch import InFlightBatch, PendingBatch
from worker.http_server import MetricsServer
from worker.metrics import WorkerMetrics
from worker.processing import Inference, PreparedBatch

TP0 = TopicPartition("in", 0)
TP1 = TopicPartition("in", 1)


@dataclass(frozen=True)
class Record:
    offset: int
    leader_epoch: int | None = 4


def _batch() -> PendingBatch:
    batch = PendingBatch()
    batch.add({TP0: [Record(5), Record(6)], TP1: [Record(10)]})
    batch.add({TP0: [Record(7)], TP1: []})
    return batch


def test_batch_take_commits_last_plus_one() -> None:
    batch = _batch()

    records, offsets = batch.take()

    assert [r.offset for r in records] == [5, 6, 7, 10]
    assert offsets == {
        TP0: OffsetAndMetadata(8, "", 4),
        TP1: OffsetAndMetadata(11, "", 4),
    }
    assert len(batch) == 0


def test_batch_drop_partitions() -> None:
    batch = _batch()

    assert batch.drop([TP0]) == 3
    assert len(batch) == 1
    assert batch.take()[1] == {TP1: OffsetAndMetadata(11, "", 4)}


def test_batch_drop_from_offset() -> None:
    batch = _batch()

    assert batch.drop_from(TP0, 6) == 2
    assert batch.drop_from(TP1, 10) == 1
    assert batch.take()[1] == {TP0: OffsetAndMetadata(6, "", 4)}


def test_batch_unknown_epoch() -> None:
    batch = PendingBatch()
    batch.add({TP0: [Record(1, leader_epoch=None)]})

    assert batch.take()[1] == {TP0: OffsetAndMetadata(2, "", -1)}


def test_two_metric_sets_one_process() -> None:
    first = WorkerMetrics(CollectorRegistry())
    second = WorkerMetrics(CollectorRegistry())
    first.records_consumed.inc(3)

    assert (
        first.registry.get_sample_value("feedback_worker_records_consumed_total") == 3
    )
    assert (
        second.registry.get_sample_value("feedback_worker_records_consumed_total") == 0
    )


def test_metrics_zero_series_and_lag() -> None:
    metrics = WorkerMetrics()
    metrics.set_model(
        model_version="v9",
        variant="int8",
        category_labels=["Billing"],
        sentiment_labels=["Positive"],
    )
    metrics.set_lag(2, 17)
    registry = metrics.registry

    assert (
        registry.get_sample_value(
            "feedback_worker_records_dead_lettered_total", {"reason": "empty_text"}
        )
        == 0
    )
    assert (
        registry.get_sample_value(
            "feedback_worker_predictions_total",
            {"task": "category", "label": "Billing"},
        )
        == 0
    )
    assert (
        registry.get_sample_value(
            "feedback_worker_model_info", {"model_version": "v9", "variant": "int8"}
        )
        == 1
    )
    assert (
        registry.get_sample_value(
            "feedback_worker_consumer_lag_records", {"partition": "2"}
        )
        == 17
    )
    metrics.forget_partitions([2, 3])
    assert (
        registry.get_sample_value(
            "feedback_worker_consumer_lag_records", {"partition": "2"}
        )
        is None
    )


class FixedStatus:
    def __init__(self, alive: bool, ready: bool) -> None:
        self.alive = alive
        self.ready = ready

    def liveness(self) -> tuple[bool, str]:
        return self.alive, "ok" if self.alive else "stalled"

    def readiness(self) -> tuple[bool, str]:
        return self.ready, "ok" if self.ready else "no partitions assigned"


def test_http_server_endpoints() -> None:
    metrics = WorkerMetrics()
    metrics.records_produced.inc(5)
    server = MetricsServer("127.0.0.1", 0, metrics.registry, FixedStatus(True, False))
    server.start()
    try:
        port = server.port
        status, body = http_get(port, "/metrics")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
            content_type = response.headers["Content-Type"]

        assert status == 200
        assert "feedback_worker_records_produced_total 5.0" in body
        assert content_type.startswith("text/plain")
        assert http_get(port, "/healthz") == (200, "ok\n")
        assert http_get(port, "/readyz") == (503, "no partitions assigned\n")
        assert http_get(port, "/other")[0] == 404
    finally:
        server.stop()


def _idle_worker() -> Worker:
    return Worker(
        WorkerSettings(metrics_port=0),
        predictor=PassthroughClassifier(),
        registry=CollectorRegistry(),
    )


def test_revocation_drops_pending_and_returns_acknowledged() -> None:
    worker = _idle_worker()
    worker.partitions_assigned({TP0, TP1})
    worker._batch.add({TP0: [Record(1)], TP1: [Record(2)]})
    worker._acknowledged[TP0] = OffsetAndMetadata(1, "", -1)

    to_commit = worker.partitions_revoked({TP0})

    assert to_commit == {TP0: OffsetAndMetadata(1, "", -1)}
    assert len(worker._batch) == 1
    assert worker.assignment == frozenset({TP1})
    assert worker.totals.dropped_on_revocation == 1
    assert worker._acknowledged == {}


def test_lost_partitions_forget_without_commit() -> None:
    worker = _idle_worker()
    worker.partitions_assigned({TP0})
    worker._batch.add({TP0: [Record(1), Record(2)]})
    worker._acknowledged[TP0] = OffsetAndMetadata(1, "", -1)

    worker.partitions_lost({TP0})

    assert len(worker._batch) == 0
    assert worker._acknowledged == {}
    assert worker.assignment == frozenset()


def test_failed_revocation_commit_counted() -> None:
    worker = _idle_worker()

    worker.revoked_offsets_committed(
        {TP0: OffsetAndMetadata(1, "", -1)}, RuntimeError()
    )

    assert worker.totals.commit_failures == 1
    assert (
        worker.metrics.registry.get_sample_value(
            "feedback_worker_commit_failures_total"
        )
        == 1
    )


def test_stop_request_only_sets_flag() -> None:
    worker = _idle_worker()

    worker.request_stop()

    assert worker._stop_requested is True
    assert worker.liveness() == (True, "starting")


def test_port_zero_disables_server() -> None:
    worker = Worker(
        WorkerSettings(metrics_port=0),
        predictor=PassthroughClassifier(),
        registry=CollectorRegistry(),
    )

    assert worker.metrics_port is None


def test_json_log_line() -> None:
    import json
    import logging
    from datetime import datetime, timedelta

    from worker.__main__ import JsonFormatter

    record = logging.LogRecord(
        "worker.app", logging.WARNING, __file__, 1, "lag is %d", (5,), None
    )

    line = json.loads(JsonFormatter().format(record))

    assert line["level"] == "WARNING"
    assert line["logger"] == "worker.app"
    assert line["message"] == "lag is 5"
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)


@dataclass(frozen=True)
class PolledRecord:
    topic: str
    partition: int
    offset: int


def _in_flight() -> InFlightBatch:
    records = [PolledRecord("in", 0, 5), PolledRecord("in", 1, 9)]
    offsets = {TP0: OffsetAndMetadata(6, "", -1), TP1: OffsetAndMetadata(10, "", -1)}
    inference: Future[Inference] = Future()
    return InFlightBatch(records, offsets, PreparedBatch(), inference)  # type: ignore[arg-type]


def test_in_flight_drop_by_partition() -> None:
    batch = _in_flight()

    assert batch.drop({TP0, TopicPartition("in", 7)}) == 1

    assert [r.partition for r in batch.records] == [1]
    assert set(batch.offsets) == {TP1}
    assert batch.dropped == {("in", 0)}
    assert batch.drop({TP0}) == 0


def test_revocation_drops_in_flight_records() -> None:
    worker = _idle_worker()
    worker.partitions_assigned({TP0, TP1})
    worker._in_flight = _in_flight()

    worker.partitions_revoked({TP1})

    assert set(worker._in_flight.offsets) == {TP0}
    assert worker.totals.dropped_on_revocation == 1
