"""/metrics, /healthz and /readyz of a running worker, scraped over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from worker_harness import (
    feedback_value,
    free_port,
    http_get,
    probe_status,
    produce,
    read_records,
    running,
    scrape,
    wait_until,
)

from worker import Worker

VALID = 40
INVALID_JSON = 3
EMPTY_TEXT = 2
LOW_CONFIDENCE_THRESHOLD = 0.6
TEXTS = [
    "Internet is down again in my street",
    "You billed me for a phone I returned",
    "Nobody answers the support line",
]


def _sample(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.mark.kafka
def test_metrics_match_records_sent(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics()
    values = [feedback_value(f"C-{i}", TEXTS[i % 3]) for i in range(VALID)]
    values += [b"{broken"] * INVALID_JSON
    values += [feedback_value(f"E-{i}", "   ") for i in range(EMPTY_TEXT)]
    produce(kafka_bootstrap, topics.input, values)
    port = free_port()
    worker = Worker(
        make_settings(topics, metrics_port=port, max_batch_size=16),
        predictor=predictor,
        registry=CollectorRegistry(),
    )
    total = len(values)

    with running(worker):
        wait_until(
            lambda: worker.totals.consumed == total,
            timeout_s=60,
            message="worker did not consume every record",
        )
        samples = scrape(port)
        health = http_get(port, "/healthz")
        readiness = http_get(port, "/readyz")
        missing = http_get(port, "/nope")
    outputs = [
        json.loads(r.value)
        for r in read_records(kafka_bootstrap, topics.output, count=VALID)
    ]
    low = {
        task: sum(
            o["classification"][f"{task}_confidence"] < LOW_CONFIDENCE_THRESHOLD
            for o in outputs
        )
        for task in ("category", "sentiment")
    }

    assert health == (200, "ok\n")
    assert readiness == (200, "ok\n")
    assert missing[0] == 404
    assert _sample(samples, "feedback_worker_records_consumed_total") == total
    assert _sample(samples, "feedback_worker_records_produced_total") == VALID
    dead = "feedback_worker_records_dead_lettered_total"
    assert _sample(samples, dead, reason="invalid_json") == INVALID_JSON
    assert _sample(samples, dead, reason="empty_text") == EMPTY_TEXT
    assert _sample(samples, dead, reason="output_too_large") == 0
    assert _sample(samples, "feedback_worker_batch_size_records_sum") == total
    assert _sample(samples, "feedback_worker_batch_size_records_count") == (
        worker.totals.batches
    )
    assert _sample(samples, "feedback_worker_inference_duration_seconds_count") >= 1
    latency = "feedback_worker_end_to_end_latency_seconds_count"
    assert _sample(samples, latency) == VALID
    assert _sample(samples, "feedback_worker_consumer_lag_records", partition="0") == 0
    assert _sample(samples, "feedback_worker_commit_failures_total") == 0
    assert _sample(samples, "feedback_worker_send_failures_total") == 0
    for task, labels in (
        ("category", predictor.category_labels),
        ("sentiment", predictor.sentiment_labels),
    ):
        predicted = {
            label: _sample(
                samples, "feedback_worker_predictions_total", task=task, label=label
            )
            for label in labels
        }
        expected = {
            label: sum(o["classification"][task] == label for o in outputs)
            for label in labels
        }
        assert predicted == expected, task
        confidence = "feedback_worker_confidence_count"
        assert _sample(samples, confidence, task=task) == VALID
        low_total = "feedback_worker_low_confidence_total"
        assert _sample(samples, low_total, task=task) == low[task]
    info = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "feedback_worker_model_info"
    }
    assert info == {
        (
            ("model_version", predictor.model_version),
            ("variant", predictor.variant),
        ): 1.0
    }


@pytest.mark.kafka
def test_probes_follow_worker_state(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics()
    port = free_port()
    worker = Worker(make_settings(topics, metrics_port=port), predictor=predictor)

    assert worker.liveness() == (True, "starting")
    assert worker.readiness() == (False, "consume loop starting")
    with running(worker):
        wait_until(
            lambda: probe_status(port, "/readyz") == 200,
            timeout_s=60,
            message="worker never became ready",
        )
        assert http_get(port, "/healthz") == (200, "ok\n")

    assert worker.liveness() == (False, "consume loop stopped")
    assert worker.readiness() == (False, "consume loop stopped")
    assert probe_status(port, "/healthz") is None
