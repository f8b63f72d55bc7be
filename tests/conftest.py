"""Shared fixtures: one real Kafka broker per test session, and unique names per test.

The broker is chosen in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` when it is set (an existing broker or cluster);
2. an ``apache/kafka`` container through testcontainers when a Docker engine responds;
3. otherwise the local broker from ``dev/kafka/``, started on a free port in a
   temporary folder and stopped when the session ends.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parent.parent
KAFKA_IMAGE = "apache/kafka:4.1.1"  # the release that dev/kafka/pom.xml fetches

sys.path.insert(0, str(ROOT / "dev" / "kafka"))
import localbroker  # noqa: E402


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the bootstrap address of a running broker for the whole session."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    if _docker_engine_answers():
        yield from _container_broker()
        return
    broker = localbroker.start(
        port=localbroker.free_port(),
        state_dir=tmp_path_factory.mktemp("kafka"),
        die_with_parent=True,
    )
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="tests-admin")
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Return a factory of names unique to this test, for topics and consumer groups."""
    test_name = request.node.name.split("[")[0][:40]

    def make(prefix: str) -> str:
        return f"{prefix}.{test_name}.{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def create_topic(
    kafka_admin: KafkaAdminClient, unique_name: Callable[[str], str]
) -> Callable[..., str]:
    """Return a factory that creates a uniquely named topic and returns its name."""

    def create(prefix: str = "topic", *, partitions: int = 1, **configs: str) -> str:
        name = unique_name(prefix)
        topic = NewTopic(
            name, num_partitions=partitions, replication_factor=1, topic_configs=configs
        )
        kafka_admin.create_topics([topic])
        return name

    return create


def _docker_engine_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
    except Exception:  # any failure means "no usable engine": fall back to the JVM
        return False
    return True


def _container_broker() -> Iterator[str]:
    # NOTE: this path needs a Docker engine, which the development machine lacks; it
    # has been written against the apache/kafka image's documented settings only.
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = localbroker.free_port()
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        )
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS", "1000")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    )
    with container:
        wait_for_logs(container, localbroker.READY_LOG_LINE, timeout=90)
        yield f"127.0.0.1:{port}"
