"""Sending a batch's records and waiting until the broker acknowledges each one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
)

from worker.exceptions import DeliveryError
from worker.records import SourceRecord

log = logging.getLogger(__name__)

# Errors that mean "this record alone is larger than the broker or the producer
# accepts". kafka-python 3.0 splits a rejected batch and resends its records
# separately before it reports these errors, so they concern one record.
TOO_LARGE_ERRORS = (MessageSizeTooLargeError, RecordListTooLargeError)
MAX_BACKOFF_S = 30.0


class ProducerLike(Protocol):
    """The part of `kafka.KafkaProducer` that delivery uses."""

    def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any: ...

    def flush(self, timeout: float | None = None) -> None: ...


@dataclass(frozen=True)
class OutgoingRecord:
    """A record to produce, with the input record it was made from."""

    topic: str
    key: bytes | None
    value: bytes
    source: SourceRecord
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class DeliveryResult:
    """Records the broker acknowledged, and records too large to produce."""

    acknowledged: list[OutgoingRecord] = field(default_factory=list)
    too_large: list[tuple[OutgoingRecord, KafkaError]] = field(default_factory=list)


class Deliverer:
    """Sends records and waits for every acknowledgement, retrying failed sends.

    The producer retries transient errors itself until ``delivery_timeout_ms``. A
    record that still fails is sent again after a backoff (``backoff_s``, doubled
    each attempt, capped at 30 s), up to ``attempts`` sends in all. When records
    still fail after that, `deliver` raises `DeliveryError`, so the caller stops
    without committing rather than lose a record.
    """

    def __init__(
        self,
        producer: ProducerLike,
        *,
        attempts: int,
        backoff_s: float,
        flush_timeout_s: float,
        on_send_failures: Callable[[int], None] = lambda count: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self._producer = producer
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._flush_timeout_s = flush_timeout_s
        self._on_send_failures = on_send_failures
        self._sleep = sleep

    def deliver(self, records: Sequence[OutgoingRecord]) -> DeliveryResult:
        """Send ``records`` and return once the broker acknowledged each one.

        Records too large for the producer or the broker are returned in
        ``too_large`` and not retried, since a resend cannot succeed.

        Raises:
            DeliveryError: when records still fail after every attempt, or the
                producer does not finish within the flush timeout.
        """
        result = DeliveryResult()
        pending = list(records)
        for attempt in range(1, self._attempts + 1):
            failed = self._send_once(pending, result)
            if not failed:
                return result
            self._on_send_failures(len(failed))
            first_record, first_error = failed[0]
            if attempt == self._attempts:
                raise DeliveryError(
                    f"{len(failed)} record(s) not delivered after {attempt} attempts, "
                    f"first error for topic {first_record.topic!r}: {first_error!r}. "
                    "Check the broker and the topic, then restart the worker: the "
                    "batch was not committed and will be consumed again"
                ) from first_error
            backoff_s = min(self._backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S)
            log.warning(
                "Send attempt %d of %d failed for %d record(s), first error for "
                "topic %s: %r. Retrying in %.1f s",
                attempt,
                self._attempts,
                len(failed),
                first_record.topic,
                first_error,
                backoff_s,
            )
            self._sleep(backoff_s)
            pending = [record for record, _ in failed]
        return result  # unreachable: the last attempt returns or raises

    def _send_once(
        self, records: Sequence[OutgoingRecord], result: DeliveryResult
    ) -> list[tuple[OutgoingRecord, KafkaError]]:
        """Send ``records`` once, sort them into ``result`` and return the failures."""
        sent: list[tuple[OutgoingRecord, Any]] = []
        failed: list[tuple[OutgoingRecord, KafkaError]] = []
        for record in records:
            try:
                future = self._producer.send(
                    record.topic,
                    value=record.value,
                    key=record.key,
                    headers=record.headers,
                )
            except TOO_LARGE_ERRORS as exc:
                # The producer checks max_request_size before sending.
                result.too_large.append((record, exc))
            except KafkaError as exc:
                failed.append((record, exc))
            else:
                sent.append((record, future))

        self._flush()

        for record, future in sent:
            error = future.exception
            if not future.is_done:
                failed.append(
                    (record, KafkaTimeoutError("no acknowledgement after flush"))
                )
            elif future.succeeded():
                result.acknowledged.append(record)
            elif isinstance(error, TOO_LARGE_ERRORS):
                result.too_large.append((record, error))
            else:
                failed.append((record, error))
        return failed

    def _flush(self) -> None:
        try:
            self._producer.flush(timeout=self._flush_timeout_s)
        except KafkaError as exc:
            # Records still in the producer may yet be delivered, so a resend would
            # only add duplicates. Give up and leave the batch uncommitted.
            raise DeliveryError(
                f"the producer did not complete its sends within "
                f"{self._flush_timeout_s:.0f} s: {exc!r}. Check that the broker is "
                "reachable; the batch was not committed"
            ) from exc
