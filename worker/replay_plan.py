"""Replay mode: start at a point in time, and stop at the end that existed at start.

Both positions are looked up once at start-up, for every partition of the input
topic, because a rebalance listener must not block on the broker: kafka-python 3.0
runs it on the consumer's network thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from worker.batch import PendingBatch
from worker.exceptions import StartupError

log = logging.getLogger(__name__)

POSITION_TIMEOUT_MS = 5_000


class ReplayPlan:
    """Start offsets from ``--from-timestamp`` and end offsets for ``--stop-at-end``.

    Each start offset is applied the first time its partition is assigned to this
    process. After a later rebalance, the committed offset is where to go on.
    """

    def __init__(
        self,
        *,
        start_offsets: dict[TopicPartition, int] | None = None,
        end_offsets: dict[TopicPartition, int] | None = None,
    ) -> None:
        self._start_offsets = dict(start_offsets or {})
        self._end_offsets = end_offsets

    @property
    def stops_at_end(self) -> bool:
        """Whether the worker exits once the end offsets are processed."""
        return self._end_offsets is not None

    @classmethod
    def look_up(
        cls,
        consumer: KafkaConsumer,
        topic: str,
        *,
        from_timestamp: datetime | None,
        stop_at_end: bool,
        timeout_ms: int,
    ) -> ReplayPlan:
        """Look up the offsets a replay needs for every partition of ``topic``.

        Raises:
            StartupError: when the broker does not return the offsets in time.
        """
        if from_timestamp is None and not stop_at_end:
            return cls()
        partitions = [
            TopicPartition(topic, partition)
            for partition in sorted(consumer.partitions_for_topic(topic))
        ]
        try:
            end_offsets = consumer.end_offsets(partitions, timeout_ms=timeout_ms)
            start_offsets = None
            if from_timestamp is not None:
                start_offsets = _offsets_at(
                    consumer, partitions, from_timestamp, end_offsets, timeout_ms
                )
        except KafkaError as exc:
            raise StartupError(
                f"cannot look up the replay offsets of topic {topic!r}: {exc!r}"
            ) from exc
        log.info(
            "Replay plan for %s: start=%s end=%s",
            topic,
            _describe(start_offsets) if start_offsets is not None else "committed",
            _describe(end_offsets) if stop_at_end else "none",
        )
        return cls(
            start_offsets=start_offsets,
            end_offsets=end_offsets if stop_at_end else None,
        )

    def seek_assigned(
        self, consumer: KafkaConsumer, assigned: Iterable[TopicPartition]
    ) -> None:
        """Seek newly assigned partitions to their replay start, once each."""
        for tp in assigned:
            offset = self._start_offsets.pop(tp, None)
            if offset is not None:
                consumer.seek(tp, offset)
                log.info("Replay: %s starts at offset %d", _name(tp), offset)

    def trim(self, consumer: KafkaConsumer, batch: PendingBatch) -> None:
        """Drop records past the end offsets and pause the partitions that reached it.

        The consumer is moved back to the end offset, so a later run without
        ``--stop-at-end`` reads the dropped records from there.
        """
        if self._end_offsets is None:
            return
        for tp in consumer.assignment():
            end = self._end_offsets.get(tp, 0)
            if batch.drop_from(tp, end):
                consumer.seek(tp, end)
            if tp not in consumer.paused() and _position(consumer, tp) >= end:
                consumer.pause(tp)

    def is_done(
        self, consumer: KafkaConsumer, assigned: Iterable[TopicPartition]
    ) -> bool:
        """Return whether every assigned partition reached its end offset."""
        if self._end_offsets is None:
            return False
        return all(
            _position(consumer, tp) >= self._end_offsets.get(tp, 0) for tp in assigned
        )


def _offsets_at(
    consumer: KafkaConsumer,
    partitions: list[TopicPartition],
    when: datetime,
    end_offsets: dict[TopicPartition, int],
    timeout_ms: int,
) -> dict[TopicPartition, int]:
    timestamp_ms = int(when.timestamp() * 1000)
    found = consumer.offsets_for_times(
        {tp: timestamp_ms for tp in partitions}, timeout_ms=timeout_ms
    )
    # A partition without a record at or after the time starts at its end, so it
    # replays nothing.
    return {
        tp: found[tp].offset if found.get(tp) is not None else end_offsets[tp]
        for tp in partitions
    }


def _position(consumer: KafkaConsumer, tp: TopicPartition) -> int:
    position = consumer.position(tp, timeout_ms=POSITION_TIMEOUT_MS)
    return -1 if position is None else position


def _name(tp: TopicPartition) -> str:
    return f"{tp.topic}[{tp.partition}]"


def _describe(offsets: dict[TopicPartition, int]) -> str:
    return ",".join(
        f"{tp.partition}:{offset}" for tp, offset in sorted(offsets.items())
    )
