"""Valid records in, enriched records out: one output per input, fields as specified."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from worker_harness import (
    feedback_value,
    json_values,
    produce,
    read_records,
    running,
    wait_until,
)

from worker import Worker

RECORD_COUNT = 120
TEXTS = [
    "No signal at home since the storm, calls drop every evening",
    "I was charged twice for my May bill, please refund",
    "The agent was rude and hung up on me",
    "Great service, the technician fixed my router quickly",
]
CLASSIFICATION_FIELDS = {
    "category",
    "category_confidence",
    "sentiment",
    "sentiment_confidence",
    "probabilities",
    "truncated",
    "model_version",
    "processed_at",
    "input",
}


@pytest.mark.kafka
def test_every_record_enriched_once(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics(partitions=2)
    sent = {
        f"C-{i:04d}": {
            "complaint_id": f"C-{i:04d}",
            "text": TEXTS[i % len(TEXTS)],
            "channel": "web",
            "meta": {"agent": i, "tags": ["a", None]},
        }
        for i in range(RECORD_COUNT)
    }
    produce(
        kafka_bootstrap,
        topics.input,
        [feedback_value(**fields) for fields in sent.values()],
        keys=[key.encode() for key in sent],
    )
    started = datetime.now(UTC)
    worker = Worker(
        make_settings(topics, max_batch_size=32),
        predictor=predictor,
        registry=CollectorRegistry(),
    )

    with running(worker):
        wait_until(
            lambda: worker.totals.produced >= RECORD_COUNT,
            timeout_s=60,
            message="worker did not produce every record",
        )
    records = read_records(kafka_bootstrap, topics.output, count=RECORD_COUNT)
    outputs = json_values(records)

    counts = Counter(output["complaint_id"] for output in outputs)
    assert set(counts) == set(sent)
    assert max(counts.values()) == 1
    assert [r.key.decode() for r in records] == [o["complaint_id"] for o in outputs]
    for output in outputs:
        classification = output.pop("classification")
        assert output == sent[output["complaint_id"]]
        assert set(classification) == CLASSIFICATION_FIELDS
        _check_classification(classification, predictor, started)
    assert read_records(kafka_bootstrap, topics.dlq, count=1, timeout_s=1) == []


def _check_classification(
    classification: dict[str, Any], predictor: Any, started: datetime
) -> None:
    probabilities = classification["probabilities"]
    assert classification["category"] in predictor.category_labels
    assert classification["sentiment"] in predictor.sentiment_labels
    assert set(probabilities) == {"category", "sentiment"}
    assert set(probabilities["category"]) == set(predictor.category_labels)
    assert set(probabilities["sentiment"]) == set(predictor.sentiment_labels)
    assert classification["category_confidence"] == pytest.approx(
        probabilities["category"][classification["category"]]
    )
    assert classification["sentiment_confidence"] == pytest.approx(
        probabilities["sentiment"][classification["sentiment"]]
    )
    assert sum(probabilities["category"].values()) == pytest.approx(1.0, abs=1e-4)
    assert classification["truncated"] is False
    assert classification["model_version"] == predictor.model_version
    processed_at = datetime.fromisoformat(classification["processed_at"])
    assert processed_at.utcoffset() == timedelta(0)
    assert started - timedelta(seconds=5) <= processed_at <= datetime.now(UTC)
    assert set(classification["input"]) == {"topic", "partition", "offset"}
