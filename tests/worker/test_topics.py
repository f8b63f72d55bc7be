"""Topic creation for development brokers: python -m worker.topics."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from kafka.admin import KafkaAdminClient

from worker.topics import ensure_topics, main


@pytest.mark.kafka
def test_ensure_topics_creates_only_missing(
    kafka_bootstrap: str,
    kafka_admin: KafkaAdminClient,
    create_topic: Callable[..., str],
    unique_name: Callable[[str], str],
) -> None:
    existing = create_topic("existing", partitions=1)
    missing = unique_name("missing")

    created = ensure_topics(kafka_bootstrap, [existing, missing], partitions=3)

    assert created == [missing]
    assert _partition_count(kafka_admin, existing) == 1
    assert _partition_count(kafka_admin, missing) == 3


@pytest.mark.kafka
def test_topics_command_is_idempotent(
    kafka_bootstrap: str,
    kafka_admin: KafkaAdminClient,
    unique_name: Callable[[str], str],
) -> None:
    topic = unique_name("cli")
    argv = [topic, "--bootstrap-servers", kafka_bootstrap, "--partitions", "2"]

    assert main(argv) == 0
    assert main(argv) == 0
    assert topic in set(kafka_admin.list_topics())


def _partition_count(
    admin: KafkaAdminClient, topic: str, timeout_s: float = 10.0
) -> int:
    """Return the topic's partition count once its metadata lists partitions."""
    deadline = time.monotonic() + timeout_s
    while True:
        (description,) = admin.describe_topics([topic])
        # A topic created a moment ago can be described before its partitions are.
        if description["partitions"] or time.monotonic() > deadline:
            return len(description["partitions"])
        time.sleep(0.1)  # polling topic metadata; the admin API has no wait
