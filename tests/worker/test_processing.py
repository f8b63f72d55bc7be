"""Batch processing without a broker: one model call, dead letters, isolation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from worker.classifier import FixedPrediction, PassthroughClassifier
from worker.exceptions import PredictionError
from worker.processing import BatchProcessor

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    offset: int
    value: bytes | None
    key: bytes | None = None
    topic: str = "in"
    partition: int = 0
    timestamp: int = 1_714_564_800_000


class CountingClassifier(PassthroughClassifier):
    """A stand-in model that counts calls and fails on texts containing 'boom'."""

    calls: list[list[str]]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "calls", [])

    def predict(self, texts: Sequence[str]) -> Sequence[FixedPrediction]:
        self.calls.append(list(texts))
        if any("boom" in text for text in texts):
            raise RuntimeError("model exploded")
        return super().predict(texts)


def _value(complaint_id: str, text: str) -> bytes:
    return json.dumps({"complaint_id": complaint_id, "text": text, "x": 1}).encode()


def _processor(classifier: CountingClassifier) -> BatchProcessor:
    return BatchProcessor(
        classifier, output_topic="out", dlq_topic="dlq", now=lambda: NOW
    )


def test_one_model_call_per_batch() -> None:
    classifier = CountingClassifier()
    records = [
        Record(0, _value("A", "first")),
        Record(1, b"not json"),
        Record(2, _value("B", "second")),
    ]

    batch = _processor(classifier).process(records)

    assert classifier.calls == [["first", "second"]]
    assert [r.key for r in batch.outputs] == [b"A", b"B"]
    assert [r.topic for r in batch.outputs] == ["out", "out"]
    assert [r.source.offset for r in batch.dead_letters] == [1]
    assert batch.dead_letters[0].headers == [("reason", b"invalid_json")]
    assert batch.dead_letters[0].topic == "dlq"
    assert batch.inference_s is not None


def test_output_is_input_plus_classification() -> None:
    batch = _processor(CountingClassifier()).process([Record(7, _value("A", "t"))])
    output = json.loads(batch.outputs[0].value)

    classification = output.pop("classification")
    assert output == {"complaint_id": "A", "text": "t", "x": 1}
    assert classification["input"] == {"topic": "in", "partition": 0, "offset": 7}
    assert classification["processed_at"] == "2024-05-01T12:00:00Z"
    assert classification["model_version"] == "passthrough"


def test_failing_text_dead_lettered_alone() -> None:
    classifier = CountingClassifier()
    records = [Record(0, _value("A", "fine")), Record(1, _value("B", "boom"))]

    batch = _processor(classifier).process(records)

    assert classifier.calls == [["fine", "boom"], ["fine"], ["boom"]]
    assert [r.key for r in batch.outputs] == [b"A"]
    letter = json.loads(batch.dead_letters[0].value)
    assert letter["reason"] == "prediction_failed"
    assert "model exploded" in letter["message"]


def test_model_failing_everywhere_raises() -> None:
    records = [Record(0, _value("A", "boom 1")), Record(1, _value("B", "boom 2"))]

    with pytest.raises(PredictionError):
        _processor(CountingClassifier()).process(records)


def test_no_valid_record_no_model_call() -> None:
    classifier = CountingClassifier()

    batch = _processor(classifier).process([Record(0, None, key=b"k")])

    assert classifier.calls == []
    assert batch.inference_s is None
    assert batch.dead_letters[0].key == b"k"


def test_invalid_prediction_dead_lettered() -> None:
    class Overconfident(CountingClassifier):
        def predict(self, texts: Sequence[str]) -> Sequence[FixedPrediction]:
            bad = FixedPrediction("Billing", 3.0, "Negative", 0.9, {})
            return [bad] * len(texts)

    batch = _processor(Overconfident()).process([Record(0, _value("A", "t"))])

    assert batch.outputs == []
    assert json.loads(batch.dead_letters[0].value)["reason"] == "prediction_failed"


def test_revoked_partition_gets_no_output() -> None:
    processor = _processor(CountingClassifier())
    records = [
        Record(0, _value("A", "kept")),
        Record(0, b"not json", partition=1),
        Record(1, _value("B", "revoked"), partition=1),
    ]
    prepared = processor.prepare(records)

    batch = processor.complete(
        prepared, processor.classify(prepared.texts), dropped={("in", 1)}
    )

    assert [json.loads(r.value)["complaint_id"] for r in batch.outputs] == ["A"]
    assert batch.dead_letters == []


def test_steps_apart_equal_process() -> None:
    records = [Record(0, _value("A", "first")), Record(1, b"{}")]
    processor = _processor(CountingClassifier())
    prepared = processor.prepare(records)

    apart = processor.complete(prepared, processor.classify(prepared.texts))
    together = processor.process(records)

    assert apart.outputs == together.outputs
    assert apart.dead_letters == together.dead_letters
    assert apart.predictions == together.predictions
