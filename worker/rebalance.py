"""The consumer's rebalance listener.

kafka-python 3.0 calls rebalance listeners on its network thread, while the worker's
thread waits inside `KafkaConsumer.poll` or `KafkaConsumer.close`. The listener may
therefore change the worker's pending batch without a lock. It must not call a
blocking consumer method, so it awaits the asynchronous commit instead.
"""

from __future__ import annotations

from typing import Protocol

from kafka import (
    AsyncConsumerRebalanceListener,
    KafkaConsumer,
    OffsetAndMetadata,
    TopicPartition,
)
from kafka.errors import KafkaError


class PartitionOwner(Protocol):
    """The worker's side of a rebalance."""

    def partitions_revoked(
        self, revoked: set[TopicPartition]
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        """Drop the pending records of ``revoked`` and return offsets to commit now."""
        ...

    def revoked_offsets_committed(
        self,
        offsets: dict[TopicPartition, OffsetAndMetadata],
        error: KafkaError | None,
    ) -> None:
        """Record the outcome of the commit made on revocation."""
        ...

    def partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Start work on ``assigned``."""
        ...

    def partitions_lost(self, lost: set[TopicPartition]) -> None:
        """Drop all state of ``lost``, which the group already gave to others."""
        ...


class RebalanceListener(AsyncConsumerRebalanceListener):
    """Forwards rebalance events to the worker and commits on revocation."""

    def __init__(self, owner: PartitionOwner, consumer: KafkaConsumer) -> None:
        self._owner = owner
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        offsets = self._owner.partitions_revoked(set(revoked))
        if not offsets:
            return
        # The member still belongs to the generation here, so the coordinator
        # accepts the commit before the partitions move to another member.
        try:
            await self._consumer.commit_async(offsets)
        except KafkaError as exc:
            self._owner.revoked_offsets_committed(offsets, exc)
        else:
            self._owner.revoked_offsets_committed(offsets, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._owner.partitions_assigned(set(assigned))

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        self._owner.partitions_lost(set(lost))
