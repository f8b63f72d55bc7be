"""Decoding, validation and serialization of input, output and dead-letter records."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from worker.exceptions import InvalidRecordError
from worker.records import (
    Classification,
    DeadLetterReason,
    RawBytes,
    SourcePosition,
    build_classification,
    build_dead_letter,
    decode_feedback,
    encode_dead_letter,
    encode_json,
    json_timestamp,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    topic: str = "feedback.raw"
    partition: int = 3
    offset: int = 41
    timestamp: int = 1_714_564_800_000
    key: bytes | None = b"C-1"
    value: bytes | None = b"{}"


def test_decode_keeps_extra_fields() -> None:
    value = {"complaint_id": "C-1", "text": "hi", "nested": {"a": [1, None]}, "n": 2.5}

    assert decode_feedback(json.dumps(value).encode()) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "invalid_json"),
        (b"\xff\xfe", "invalid_utf8"),
        (b"{", "invalid_json"),
        (b'{"complaint_id": "a", "text": "b", "x": NaN}', "invalid_json"),
        (b'{"complaint_id": "a", "text": "b", "x": -Infinity}', "invalid_json"),
        (b"[]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"12", "not_an_object"),
        (b"true", "not_an_object"),
        (b"null", "not_an_object"),
        (b'{"text": "b"}', "invalid_fields"),
        (b'{"complaint_id": "a"}', "invalid_fields"),
        (b'{"complaint_id": 1, "text": "b"}', "invalid_fields"),
        (b'{"complaint_id": "a", "text": 5}', "invalid_fields"),
        (b'{"complaint_id": "", "text": "b"}', "invalid_fields"),
        (b'{"complaint_id": "\\t ", "text": "b"}', "invalid_fields"),
        (b'{"complaint_id": "a", "text": "b", "classification": 1}', "invalid_fields"),
        (b'{"complaint_id": "a", "text": ""}', "empty_text"),
        (b'{"complaint_id": "a", "text": "\\u3000\\n "}', "empty_text"),
    ],
)
def test_decode_rejects_with_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        decode_feedback(value)

    assert raised.value.reason == reason
    assert raised.value.message


def test_decode_message_names_field() -> None:
    with pytest.raises(InvalidRecordError) as raised:
        decode_feedback(b'{"complaint_id": 7, "text": "b"}')

    assert "'complaint_id'" in raised.value.message
    assert "int" in raised.value.message


def test_raw_bytes_text_or_base64() -> None:
    assert RawBytes.from_bytes("é".encode()) == RawBytes(encoding="utf-8", data="é")
    assert RawBytes.from_bytes(b"\xff") == RawBytes(
        encoding="base64", data=base64.b64encode(b"\xff").decode()
    )


def test_dead_letter_fields() -> None:
    letter = build_dead_letter(
        Record(value=b"\x00\xff"), DeadLetterReason.INVALID_UTF8, "bad", now=NOW
    )
    decoded = json.loads(encode_dead_letter(letter))

    assert decoded == {
        "reason": "invalid_utf8",
        "message": "bad",
        "source": {
            "topic": "feedback.raw",
            "partition": 3,
            "offset": 41,
            "timestamp": "2024-05-01T12:00:00Z",
        },
        "key": {"encoding": "utf-8", "data": "C-1"},
        "value": {"encoding": "base64", "data": "AP8="},
        "value_omitted_bytes": None,
        "dead_lettered_at": "2024-05-01T12:00:00Z",
    }


def test_dead_letter_without_value() -> None:
    letter = build_dead_letter(
        Record(value=b"x" * 10, key=None, timestamp=-1),
        DeadLetterReason.OUTPUT_TOO_LARGE,
        "too large",
        now=NOW,
        include_value=False,
    )

    assert letter.value is None
    assert letter.value_omitted_bytes == 10
    assert letter.key is None
    assert letter.source.timestamp is None


def test_encode_json_lone_surrogate() -> None:
    document = json.loads('{"text": "a\\ud800b", "other": "é"}')

    encoded = encode_json(document)

    assert json.loads(encoded) == document
    assert encoded.isascii()


def test_encode_json_keeps_unicode() -> None:
    assert encode_json({"text": "é 👍"}) == '{"text":"é 👍"}'.encode()


def _classification(**overrides: object) -> Classification:
    values: dict[str, object] = {
        "category": "Billing",
        "category_confidence": 0.9,
        "sentiment": "Negative",
        "sentiment_confidence": 0.8,
        "probabilities": {"category": {"Billing": 0.9}, "sentiment": {"Negative": 0.8}},
        "truncated": False,
        "model_version": "v1",
        "processed_at": NOW,
        "input": SourcePosition(topic="t", partition=0, offset=1),
    }
    values.update(overrides)
    return Classification(**values)


def test_classification_clamps_rounding() -> None:
    assert _classification(category_confidence=1.0000001).category_confidence == 1.0


def test_classification_rejects_bad_confidence() -> None:
    with pytest.raises(ValidationError):
        _classification(sentiment_confidence=1.5)


def test_classification_rejects_naive_time() -> None:
    with pytest.raises(ValidationError):
        _classification(processed_at=datetime(2024, 5, 1))


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.7976931348623157e309"])
def test_decode_rejects_float_overflow(number: str) -> None:
    # Such a number parsed to infinity, passed validation and then failed the
    # output encoding, which stopped the worker.
    value = f'{{"complaint_id": "a", "text": "b", "x": {number}}}'.encode()

    with pytest.raises(InvalidRecordError) as raised:
        decode_feedback(value)

    assert raised.value.reason == "invalid_json"
    assert number in raised.value.message


@pytest.mark.parametrize(
    "value",
    [
        b'{"complaint_id": " ", "text": "b"}',
        b'{"complaint_id": "", "text": "b"}',
        b'{"complaint_id": ["a"], "text": "b"}',
        b'{"complaint_id": "a", "text": null}',
    ],
)
def test_decode_field_errors_named(value: bytes) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        decode_feedback(value)

    assert raised.value.reason == "invalid_fields"
    assert "field '" in raised.value.message


@dataclass(frozen=True)
class Prediction:
    category: str = "Billing"
    category_confidence: float = 0.9
    sentiment: str = "Negative"
    sentiment_confidence: float = 1.0000001
    probabilities: dict = field(
        default_factory=lambda: {
            "category": {"Billing": 0.9, "Network Issues": 0.1},
            "sentiment": {"Negative": 1.0000001},
        }
    )
    truncated: bool = True


def test_classification_matches_model() -> None:
    prediction = Prediction()
    source = Record()

    built = build_classification(
        prediction,
        model_version="v1",
        source=source,
        processed_at=json_timestamp(NOW),
    )

    model = Classification(
        category=prediction.category,
        category_confidence=prediction.category_confidence,
        sentiment=prediction.sentiment,
        sentiment_confidence=prediction.sentiment_confidence,
        probabilities=prediction.probabilities,
        truncated=prediction.truncated,
        model_version="v1",
        processed_at=NOW,
        input=SourcePosition(
            topic=source.topic, partition=source.partition, offset=source.offset
        ),
    )
    assert built == model.model_dump(mode="json")
    assert Classification.model_validate(built) == model


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"category_confidence": float("nan")}, "category_confidence"),
        ({"sentiment_confidence": 1.5}, "sentiment_confidence"),
        ({"category_confidence": -0.1}, "category_confidence"),
        ({"category_confidence": "0.9"}, "category_confidence"),
        ({"category": None}, "category"),
        ({"truncated": 1}, "truncated"),
        ({"probabilities": {"category": {"Billing": float("inf")}}}, "'Billing'"),
        ({"probabilities": {"topic": {"Billing": 0.5}}}, "'topic'"),
    ],
)
def test_invalid_prediction_rejected(overrides: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        build_classification(
            Prediction(**overrides),
            model_version="v1",
            source=Record(),
            processed_at=json_timestamp(NOW),
        )


def test_json_timestamp_needs_a_time_zone() -> None:
    assert json_timestamp(NOW) == "2024-05-01T12:00:00Z"
    with pytest.raises(ValidationError):
        json_timestamp(datetime(2024, 5, 1))


def test_encode_json_keeps_integers_beyond_64_bits() -> None:
    document = {"id": 2**70, "small": -(2**63) - 1}

    assert json.loads(encode_json(document)) == document
