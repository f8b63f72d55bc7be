"""The micro-batch: records polled and not yet processed, then in the model.

A batch is first a `PendingBatch` while the worker polls, then an `InFlightBatch`
from the moment its texts go to the model until its outputs are acknowledged and
its offsets committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from kafka import OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from worker.processing import Inference, PreparedBatch


class PendingBatch:
    """Records polled for the next micro-batch, grouped by input partition.

    The rebalance listener drops a revoked partition's records from the batch before
    anything was produced for them, so the partition's next owner reads them again
    from the committed offset.
    """

    def __init__(self) -> None:
        self._records: dict[TopicPartition, list[ConsumerRecord]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, polled: Mapping[TopicPartition, Sequence[ConsumerRecord]]) -> None:
        """Append the records of one `KafkaConsumer.poll` result."""
        for tp, records in polled.items():
            if records:
                self._records.setdefault(tp, []).extend(records)
                self._count += len(records)

    def drop(self, partitions: Iterable[TopicPartition]) -> int:
        """Remove the records of ``partitions`` and return how many were removed."""
        dropped = 0
        for tp in partitions:
            records = self._records.pop(tp, None)
            if records:
                dropped += len(records)
        self._count -= dropped
        return dropped

    def drop_from(self, tp: TopicPartition, offset: int) -> int:
        """Remove the records of ``tp`` at or after ``offset`` and return how many."""
        records = self._records.get(tp)
        if not records:
            return 0
        before_offset = [record for record in records if record.offset < offset]
        dropped = len(records) - len(before_offset)
        if before_offset:
            self._records[tp] = before_offset
        else:
            del self._records[tp]
        self._count -= dropped
        return dropped

    def take(
        self,
    ) -> tuple[list[ConsumerRecord], dict[TopicPartition, OffsetAndMetadata]]:
        """Empty the batch, returning its records and the offsets that commit it.

        The offset to commit for a partition is its last record's offset + 1: the
        committed offset names the next record to read.
        """
        records: list[ConsumerRecord] = []
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for tp, partition_records in self._records.items():
            records.extend(partition_records)
            last = partition_records[-1]
            epoch = last.leader_epoch if last.leader_epoch is not None else -1
            offsets[tp] = OffsetAndMetadata(last.offset + 1, "", epoch)
        self._records = {}
        self._count = 0
        return records, offsets


@dataclass
class InFlightBatch:
    """A batch whose texts are in the model, on the inference thread.

    The rebalance listener may drop the records of revoked partitions while the
    model runs: `drop` removes them from ``records`` and ``offsets`` and names the
    partitions in ``dropped``, and the worker then builds no output for them.
    """

    records: list[ConsumerRecord]
    offsets: dict[TopicPartition, OffsetAndMetadata]
    prepared: PreparedBatch
    inference: Future[Inference]
    dropped: set[tuple[str, int]] = field(default_factory=set)

    def drop(self, partitions: Iterable[TopicPartition]) -> int:
        """Leave out the records of ``partitions``; return how many were left out."""
        # TopicPartition is a (topic, partition) named tuple, so it also finds
        # the plain tuples built from records.
        removed = {tp for tp in partitions if tp in self.offsets}
        if not removed:
            return 0
        for tp in removed:
            del self.offsets[tp]
        remaining = [r for r in self.records if (r.topic, r.partition) not in removed]
        dropped = len(self.records) - len(remaining)
        self.records = remaining
        self.dropped |= removed
        return dropped
