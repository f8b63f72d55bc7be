"""Creating the Kafka consumer and producer, and the start-up checks on the cluster.

kafka-python errors are wrapped in `StartupError` here, at the boundary, with a
message that names the setting to fix.
"""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from worker.exceptions import StartupError
from worker.settings import WorkerSettings

# The Java client's default. The producer stops retrying at delivery_timeout_ms
# long before it could make this many attempts.
PRODUCER_RETRIES = 2_147_483_647
PRODUCER_BATCH_BYTES = 256 * 1024
PRODUCER_REQUEST_TIMEOUT_MS = 30_000


def create_consumer(settings: WorkerSettings) -> KafkaConsumer:
    """Connect a consumer of the worker's group, which subscribes later.

    Raises:
        StartupError: when the broker cannot be reached within
            ``settings.startup_timeout_ms``.
    """
    try:
        return KafkaConsumer(
            **settings.kafka_client_configs(),
            group_id=settings.group_id,
            # Offsets are committed by the worker, after the outputs are acknowledged.
            enable_auto_commit=False,
            # A new group starts at the oldest record, so no record is skipped.
            auto_offset_reset="earliest",
            max_poll_records=settings.max_batch_size,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            allow_auto_create_topics=False,
        )
    except KafkaError as exc:
        raise _unreachable(settings, exc) from exc


def create_producer(settings: WorkerSettings) -> KafkaProducer:
    """Connect the producer of output and dead-letter records.

    Raises:
        StartupError: when the broker cannot be reached within
            ``settings.startup_timeout_ms``.
    """
    request_timeout_ms = min(
        PRODUCER_REQUEST_TIMEOUT_MS, settings.delivery_timeout_ms - settings.linger_ms
    )
    try:
        return KafkaProducer(
            **settings.kafka_client_configs(),
            acks="all",
            # kafka-python 3.0.12 moves an idempotent producer into a fatal state
            # on any non-retriable produce error, MESSAGE_TOO_LARGE included, and
            # then fails every later send. Without idempotence such an error fails
            # only its own record, which becomes an output_too_large dead letter.
            # At-least-once delivery does not need idempotence: a producer retry
            # can add a duplicate, as a restart can.
            enable_idempotence=False,
            linger_ms=settings.linger_ms,
            # A micro-batch's outputs go out together, so room for a whole batch
            # per partition saves produce requests (the default is 16 KiB).
            batch_size=PRODUCER_BATCH_BYTES,
            retries=PRODUCER_RETRIES,
            delivery_timeout_ms=settings.delivery_timeout_ms,
            request_timeout_ms=request_timeout_ms,
            # send() blocks this long at most for metadata of a topic.
            max_block_ms=min(settings.delivery_timeout_ms, 60_000),
            allow_auto_create_topics=False,
        )
    except KafkaError as exc:
        raise _unreachable(settings, exc) from exc


def check_topics(consumer: KafkaConsumer, settings: WorkerSettings) -> None:
    """Raise `StartupError` naming every worker topic the cluster does not have."""
    try:
        existing = consumer.topics()
    except KafkaError as exc:
        raise StartupError(
            f"cannot list the topics of {settings.bootstrap_servers}: {exc!r}"
        ) from exc
    wanted = {
        "--input-topic": settings.input_topic,
        "--output-topic": settings.output_topic,
        "--dlq-topic": settings.dlq_topic,
    }
    missing = [
        f"{topic!r} ({option})"
        for option, topic in wanted.items()
        if topic not in existing
    ]
    if missing:
        raise StartupError(
            f"topic(s) {', '.join(missing)} not found on "
            f"{settings.bootstrap_servers}. Create them (for example with "
            "python -m worker.topics) or fix the topic options; the worker does "
            "not create topics"
        )


def _unreachable(settings: WorkerSettings, exc: KafkaError) -> StartupError:
    return StartupError(
        f"cannot connect to Kafka at {settings.bootstrap_servers} within "
        f"{settings.startup_timeout_ms} ms: {exc!r}. Check --bootstrap-servers "
        "(WORKER_BOOTSTRAP_SERVERS), the security settings and that the broker runs"
    )
