"""Decoding, validation and serialization of input, output and dead-letter records."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from worker.exceptions import InvalidRecordError
from worker.records import (
    Classification,
    DeadLetterReason,
    RawBytes,
    SourcePosition,
    build_dead_letter,
    decode_feedback,
    encode_dead_letter,
    encode_json,
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
