"""Create the worker's topics when they are missing.

    python -m worker.topics [--bootstrap-servers 127.0.0.1:9092] [--partitions 4]

Creates ``feedback.raw``, ``feedback.enriched`` and ``feedback.dlq`` (or the topics
given as arguments) with replication factor 1, which suits a one-node development
broker. Topics that exist are left as they are.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger("worker.topics")

DEFAULT_TOPICS = ("feedback.raw", "feedback.enriched", "feedback.dlq")
DEFAULT_PARTITIONS = 4


def ensure_topics(
    bootstrap: str, topics: Sequence[str], *, partitions: int = DEFAULT_PARTITIONS
) -> list[str]:
    """Create the missing ``topics``; return the names that were created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="feedback-topics")
    created = []
    try:
        existing = set(admin.list_topics())
        for topic in [t for t in topics if t not in existing]:
            new_topic = NewTopic(topic, num_partitions=partitions, replication_factor=1)
            try:
                admin.create_topics([new_topic])
            except TopicAlreadyExistsError:
                continue  # another client created it between the listing and now
            log.info("created topic %s with %d partitions", topic, partitions)
            created.append(topic)
    finally:
        admin.close()
    return created


def main(argv: list[str] | None = None) -> int:
    """Create the topics from the command line; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(
        prog="python -m worker.topics", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "topics", nargs="*", default=list(DEFAULT_TOPICS), help="topic names"
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("WORKER_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (default: $WORKER_BOOTSTRAP_SERVERS or "
        "127.0.0.1:9092)",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        default=DEFAULT_PARTITIONS,
        help=f"partitions of each new topic (default {DEFAULT_PARTITIONS})",
    )
    args = parser.parse_args(argv)
    try:
        created = ensure_topics(
            args.bootstrap_servers, args.topics, partitions=args.partitions
        )
    except KafkaError as exc:
        log.error("creating topics on %s failed: %r", args.bootstrap_servers, exc)
        return 1
    log.info("topics ready: %s (%d created)", ", ".join(args.topics), len(created))
    return 0


if __name__ == "__main__":
    sys.exit(main())
