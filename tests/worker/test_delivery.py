"""Sending with retries: acknowledgements, backoff, too-large records, give-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from kafka.errors import (
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
)

from worker.delivery import Deliverer, OutgoingRecord
from worker.exceptions import DeliveryError


@dataclass(frozen=True)
class Source:
    topic: str = "in"
    partition: int = 0
    offset: int = 0
    timestamp: int = 0
    key: bytes | None = None
    value: bytes | None = None


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.is_done = True
        self.exception = error

    def succeeded(self) -> bool:
        return self.exception is None


@dataclass
class FakeProducer:
    """Fails a value's sends with the errors queued for it, in order."""

    errors: dict[bytes, list[Exception]] = field(default_factory=dict)
    raise_on_send: dict[bytes, Exception] = field(default_factory=dict)
    flush_error: Exception | None = None
    sent: list[bytes] = field(default_factory=list)

    def send(self, topic: str, value=None, key=None, headers=None) -> FakeFuture:
        if value in self.raise_on_send:
            raise self.raise_on_send[value]
        self.sent.append(value)
        queued = self.errors.get(value, [])
        return FakeFuture(queued.pop(0) if queued else None)

    def flush(self, timeout=None) -> None:
        if self.flush_error is not None:
            raise self.flush_error


def _record(value: bytes) -> OutgoingRecord:
    return OutgoingRecord(topic="out", key=None, value=value, source=Source())


def _deliverer(
    producer: FakeProducer, sleeps: list[float], failures: list[int], attempts: int = 3
) -> Deliverer:
    return Deliverer(
        producer,
        attempts=attempts,
        backoff_s=0.5,
        flush_timeout_s=1.0,
        on_send_failures=failures.append,
        sleep=sleeps.append,
    )


def test_all_acknowledged_first_try() -> None:
    producer = FakeProducer()
    sleeps: list[float] = []
    failures: list[int] = []
    records = [_record(b"a"), _record(b"b")]

    result = _deliverer(producer, sleeps, failures).deliver(records)

    assert result.acknowledged == records
    assert result.too_large == []
    assert sleeps == []
    assert failures == []


def test_failed_send_retried_with_backoff() -> None:
    producer = FakeProducer(
        errors={b"b": [NotLeaderForPartitionError(), KafkaTimeoutError()]}
    )
    sleeps: list[float] = []
    failures: list[int] = []

    result = _deliverer(producer, sleeps, failures).deliver(
        [_record(b"a"), _record(b"b")]
    )

    assert [r.value for r in result.acknowledged] == [b"a", b"b"]
    assert producer.sent == [b"a", b"b", b"b", b"b"]
    assert sleeps == [0.5, 1.0]
    assert failures == [1, 1]


def test_persistent_failure_raises() -> None:
    producer = FakeProducer(errors={b"a": [KafkaTimeoutError()] * 5})
    sleeps: list[float] = []
    failures: list[int] = []

    with pytest.raises(DeliveryError) as raised:
        _deliverer(producer, sleeps, failures).deliver([_record(b"a")])

    assert "after 3 attempts" in str(raised.value)
    assert "'out'" in str(raised.value)
    assert sleeps == [0.5, 1.0]
    assert failures == [1, 1, 1]


@pytest.mark.parametrize(
    "producer_factory",
    [
        lambda: FakeProducer(errors={b"big": [MessageSizeTooLargeError()]}),
        lambda: FakeProducer(raise_on_send={b"big": MessageSizeTooLargeError()}),
    ],
    ids=["broker", "client"],
)
def test_too_large_returned_not_retried(
    producer_factory: Callable[[], FakeProducer],
) -> None:
    producer = producer_factory()
    sleeps: list[float] = []
    failures: list[int] = []

    result = _deliverer(producer, sleeps, failures).deliver(
        [_record(b"big"), _record(b"ok")]
    )

    assert [r.value for r in result.acknowledged] == [b"ok"]
    assert [r.value for r, _ in result.too_large] == [b"big"]
    assert isinstance(result.too_large[0][1], MessageSizeTooLargeError)
    assert sleeps == []
    assert failures == []


def test_flush_timeout_raises() -> None:
    producer = FakeProducer(flush_error=KafkaTimeoutError("flush"))

    with pytest.raises(DeliveryError) as raised:
        _deliverer(producer, [], []).deliver([_record(b"a")])

    assert "within 1 s" in str(raised.value)


def test_zero_attempts_rejected() -> None:
    with pytest.raises(ValueError):
        Deliverer(FakeProducer(), attempts=0, backoff_s=0, flush_timeout_s=1)
