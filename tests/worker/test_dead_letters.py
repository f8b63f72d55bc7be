"""Records that cannot be classified go to the dead-letter topic with their reason."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from worker_harness import feedback_value, produce, read_records, running, wait_until

from worker import Worker

# The output topic accepts 20000 bytes per record batch, more than the producer's
# default batch of 16384 bytes, so only a single oversized record is rejected.
OUTPUT_MAX_MESSAGE_BYTES = "20000"
LONG_TEXT = "my router keeps dropping the connection " * 600  # about 24000 bytes

# (key, raw value, expected reason)
BAD_RECORDS: list[tuple[bytes, bytes | None, str]] = [
    (b"utf8", b'\xff\xfe{"complaint_id": "A", "text": "x"}', "invalid_utf8"),
    (b"json", b'{"complaint_id": "B", "text": ', "invalid_json"),
    (b"nan", b'{"complaint_id": "C", "text": "x", "score": NaN}', "invalid_json"),
    (b"overflow", b'{"complaint_id": "C2", "text": "x", "n": 1e400}', "invalid_json"),
    (b"tombstone", None, "invalid_json"),
    (b"array", b'["complaint_id", "text"]', "not_an_object"),
    (b"string", b'"just a string"', "not_an_object"),
    (b"null", b"null", "not_an_object"),
    (b"no-id", b'{"text": "no id here"}', "invalid_fields"),
    (b"int-id", b'{"complaint_id": 17, "text": "number id"}', "invalid_fields"),
    (b"list-text", b'{"complaint_id": "D", "text": ["a"]}', "invalid_fields"),
    (b"blank-id", b'{"complaint_id": "  ", "text": "blank id"}', "invalid_fields"),
    (
        b"classified",
        b'{"complaint_id": "E", "text": "x", "classification": {}}',
        "invalid_fields",
    ),
    (b"empty", b'{"complaint_id": "F", "text": ""}', "empty_text"),
    (b"spaces", b'{"complaint_id": "G", "text": " \\n\\t "}', "empty_text"),
    (b"large", feedback_value("H", LONG_TEXT), "output_too_large"),
]


@pytest.mark.kafka
def test_bad_records_dead_lettered(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics(output_configs={"max.message.bytes": OUTPUT_MAX_MESSAGE_BYTES})
    valid_after = feedback_value("VALID-1", "Billing error on my last invoice")
    produce(
        kafka_bootstrap,
        topics.input,
        [value for _, value, _ in BAD_RECORDS] + [valid_after],
        keys=[key for key, _, _ in BAD_RECORDS] + [b"VALID-1"],
    )
    worker = Worker(
        make_settings(topics, max_batch_size=64),
        predictor=predictor,
        registry=CollectorRegistry(),
    )

    with running(worker):
        wait_until(
            lambda: worker.totals.consumed >= len(BAD_RECORDS) + 1,
            timeout_s=60,
            message="worker did not process every record",
        )
    dead = read_records(kafka_bootstrap, topics.dlq, count=len(BAD_RECORDS))
    outputs = read_records(kafka_bootstrap, topics.output, count=1)

    assert [json.loads(r.value)["complaint_id"] for r in outputs] == ["VALID-1"]
    assert len(dead) == len(BAD_RECORDS)
    by_offset = {json.loads(r.value)["source"]["offset"]: r for r in dead}
    assert sorted(by_offset) == list(range(len(BAD_RECORDS)))
    for offset, (key, value, reason) in enumerate(BAD_RECORDS):
        record = by_offset[offset]
        letter = json.loads(record.value)
        assert dict(record.headers) == {"reason": reason.encode()}, key
        assert record.key == key
        assert letter["reason"] == reason, key
        assert letter["message"], key
        assert letter["source"]["topic"] == topics.input
        assert letter["source"]["partition"] == 0
        assert _is_utc(letter["source"]["timestamp"])
        assert _is_utc(letter["dead_lettered_at"])
        assert letter["key"] == {"encoding": "utf-8", "data": key.decode()}
        assert _raw_value(letter["value"]) == value, key
        assert letter["value_omitted_bytes"] is None
    assert worker.totals.dead_lettered == len(BAD_RECORDS)
    assert worker.totals.produced == 1


@pytest.mark.kafka
def test_invalid_utf8_value_base64(
    kafka_bootstrap: str,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics()
    raw_key = b"\x80key"
    raw_value = b"\xc3\x28 not utf-8"
    produce(kafka_bootstrap, topics.input, [raw_value], keys=[raw_key])
    worker = Worker(make_settings(topics), predictor=predictor)

    with running(worker):
        wait_until(
            lambda: worker.totals.dead_lettered == 1,
            timeout_s=60,
            message="record not dead-lettered",
        )
    (record,) = read_records(kafka_bootstrap, topics.dlq, count=1)
    letter = json.loads(record.value)

    assert letter["reason"] == "invalid_utf8"
    assert "byte 0" in letter["message"]
    assert letter["value"]["encoding"] == "base64"
    assert base64.b64decode(letter["value"]["data"]) == raw_value
    assert letter["key"]["encoding"] == "base64"
    assert base64.b64decode(letter["key"]["data"]) == raw_key
    assert record.key == raw_key


def _raw_value(encoded: dict[str, str] | None) -> bytes | None:
    if encoded is None:
        return None
    if encoded["encoding"] == "base64":
        return base64.b64decode(encoded["data"])
    return encoded["data"].encode()


def _is_utc(text: str) -> bool:
    return datetime.fromisoformat(text).utcoffset() == timedelta(0)
