"""The worker: consume feedback records in micro-batches, classify, produce, commit.

Delivery is at-least-once. A batch's offsets are committed only after the broker
acknowledged every output and dead-letter record of the batch, so a crash between
produce and commit leads to duplicates, never to a lost record.

The model runs one batch behind the consume loop: while it classifies batch N, the
loop delivers and commits batch N - 1 and polls batch N + 1. An inference thread
calls the classifier, which by default sends the texts to a child process (see
`worker.model_process`), so the model and the Kafka path use both cores. Batches are
still delivered and committed in the order they were polled.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Literal

from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError
from prometheus_client import CollectorRegistry

from worker.batch import InFlightBatch, PendingBatch
from worker.classifier import Classifier
from worker.delivery import Deliverer, OutgoingRecord
from worker.exceptions import DeliveryError, WorkerError
from worker.http_server import MetricsServer
from worker.kafka_clients import check_topics, create_consumer, create_producer
from worker.metrics import WorkerMetrics
from worker.processing import BatchProcessor, ClassifiedBatch
from worker.rebalance import RebalanceListener
from worker.records import REASON_HEADER, DeadLetterReason
from worker.replay_plan import ReplayPlan
from worker.settings import WorkerSettings

log = logging.getLogger(__name__)

# Extra time over delivery_timeout_ms for flush(): by then the producer has
# completed or failed every record it holds.
FLUSH_MARGIN_S = 5.0
LAG_POSITION_TIMEOUT_MS = 1_000
# While no records arrive, the lag gauges are refreshed at this interval.
IDLE_LAG_INTERVAL_S = 5.0
# A batch slower than this fraction of max_poll_interval_ms is logged at WARNING.
SLOW_BATCH_FRACTION = 0.5
# Dead letters of one batch named in its WARNING line. The rest are only counted.
DEAD_LETTERS_LOGGED = 5

LoopState = Literal["starting", "running", "stopped"]


@dataclass
class WorkerTotals:
    """Counts of one worker's lifetime, logged at shutdown."""

    consumed: int = 0
    produced: int = 0
    dead_lettered: int = 0
    batches: int = 0
    commits: int = 0
    commit_failures: int = 0
    dropped_on_revocation: int = 0


class Worker:
    """Consumes the input topic and produces classified and dead-letter records.

    Call ``Worker(settings, predictor=...).run()`` in the main thread. Another
    thread or a signal handler may call `request_stop`. Each worker owns its
    metrics registry, so several workers can run in one process.
    """

    def __init__(
        self,
        settings: WorkerSettings,
        *,
        predictor: Classifier,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = WorkerMetrics(registry)
        self.totals = WorkerTotals()
        self.metrics.set_model(
            model_version=predictor.model_version,
            variant=settings.model_variant,
            category_labels=predictor.category_labels,
            sentiment_labels=predictor.sentiment_labels,
        )
        self._processor = BatchProcessor(
            predictor, output_topic=settings.output_topic, dlq_topic=settings.dlq_topic
        )

        # Batch and group state
        self._batch = PendingBatch()
        # The batch on the inference thread, delivered after the next poll.
        self._in_flight: InFlightBatch | None = None
        # Offsets whose records are acknowledged but not yet committed, because a
        # commit failed. The next commit includes them, and so does a revocation.
        self._acknowledged: dict[TopicPartition, OffsetAndMetadata] = {}
        self._assignment: frozenset[TopicPartition] = frozenset()
        self._assigned_once = False
        self._replay = ReplayPlan()

        # Loop state, read by the health probes
        # A plain attribute, not an Event: a signal handler may only set a flag.
        self._stop_requested = False
        self._loop_state: LoopState = "starting"
        self._last_loop_at = time.monotonic()
        self._lag_updated_at = 0.0

        # Clients, created by run()
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._deliverer: Deliverer | None = None
        self._inference: ThreadPoolExecutor | None = None
        self._http: MetricsServer | None = None
        if settings.metrics_port:
            self._http = MetricsServer(
                settings.metrics_host,
                settings.metrics_port,
                self.metrics.registry,
                self,
            )

    # Lifecycle

    def request_stop(self) -> None:
        """Ask the loop to finish its current batch, commit and stop.

        Safe to call from a signal handler: it only sets a flag.
        """
        self._stop_requested = True

    def run(self) -> WorkerTotals:
        """Check the cluster, join the group and process batches until stopped.

        Returns after a stop request or, with ``stop_at_end``, once the end offsets
        from start-up are processed.

        Raises:
            StartupError: when the broker, a topic or the metrics port is unusable,
                before the worker joins the group.
            DeliveryError: when records cannot be delivered. The batch is not
                committed.
            PredictionError: when the model fails on a whole batch.
        """
        self._start()
        try:
            self._consume()
        except WorkerError as exc:
            log.error("Worker stopping without committing the current batch: %s", exc)
            self._close(final_commit=False)
            raise
        except BaseException:
            self._close(final_commit=False)
            raise
        self._close(final_commit=True)
        return self.totals

    def _start(self) -> None:
        settings = self.settings
        log.info("Starting feedback worker: %s", settings.summary())
        if self._http is not None:
            self._http.start()
        try:
            self._consumer = create_consumer(settings)
            # subscribe() only records the subscription: the consumer joins the
            # group in its first poll(), after the checks below.
            self._consumer.subscribe(
                [settings.input_topic], listener=RebalanceListener(self, self._consumer)
            )
            # Listing the topics after subscribe() also gives the group
            # coordinator the input topic's partitions before the first join.
            # NOTE: with kafka-python 3.0.12, a join that starts before that
            # metadata arrives is followed by a second rebalance, and a consumer
            # can stay unassigned when that rebalance outlasts one poll().
            check_topics(self._consumer, settings)
            self._replay = ReplayPlan.look_up(
                self._consumer,
                settings.input_topic,
                from_timestamp=settings.from_timestamp,
                stop_at_end=settings.stop_at_end,
                timeout_ms=settings.startup_timeout_ms,
            )
            self._producer = create_producer(settings)
        except BaseException:
            self._close(final_commit=False)
            raise
        self._inference = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="inference"
        )
        self._deliverer = Deliverer(
            self._producer,
            attempts=settings.send_attempts,
            backoff_s=settings.send_backoff_ms / 1000,
            flush_timeout_s=settings.delivery_timeout_ms / 1000 + FLUSH_MARGIN_S,
            on_send_failures=self.metrics.send_failures.inc,
        )
        log.info(
            "Consuming %s as group %s, output to %s, dead letters to %s",
            settings.input_topic,
            settings.group_id,
            settings.output_topic,
            settings.dlq_topic,
        )

    def _close(self, *, final_commit: bool) -> None:
        """Commit what was acknowledged, leave the group and close the clients."""
        self._loop_state = "stopped"
        timeout_ms = self.settings.shutdown_timeout_ms
        if self._inference is not None:
            # Waits for a model call in progress; its batch is not delivered.
            self._inference.shutdown(wait=True, cancel_futures=True)
        if final_commit and self._acknowledged:
            self._commit()
        if self._consumer is not None:
            # Leaving the group calls the rebalance listener, which commits the
            # acknowledged offsets that are still uncommitted.
            try:
                self._consumer.close(autocommit=False, timeout_ms=timeout_ms)
            except KafkaError as exc:
                log.error("Closing the consumer failed: %r", exc)
        if self._producer is not None:
            try:
                self._producer.close(timeout=timeout_ms / 1000)
            except KafkaError as exc:
                log.error("Closing the producer failed: %r", exc)
        if self._http is not None:
            self._http.stop()
        log.info(
            "Feedback worker stopped: %s",
            " ".join(f"{name}={value}" for name, value in asdict(self.totals).items()),
        )

    # Consume loop

    def _consume(self) -> None:
        """Poll, classify and deliver batches, one batch in the model at a time.

        With a batch in flight the loop takes only the records already fetched, so
        that a slow trickle of input never holds back the delivery of that batch.
        """
        self._loop_state = "running"
        while not self._stop_requested:
            self._fill_batch(wait=self._in_flight is None)
            started = self._start_batch() if len(self._batch) else None
            if self._in_flight is not None:
                self._finish_batch(self._in_flight)
            self._in_flight = started
            if started is not None:
                continue
            if self._replay_finished():
                log.info("Replay reached the end offsets that existed at start-up")
                return
            if time.monotonic() - self._lag_updated_at > IDLE_LAG_INTERVAL_S:
                self._update_lag()
        if self._in_flight is not None:
            self._finish_batch(self._in_flight)
            self._in_flight = None
        log.info("Stop requested: leaving the group after the last batch")

    def _fill_batch(self, *, wait: bool) -> None:
        """Poll until the batch is full or ``max_batch_wait_ms`` after its first record.

        Returns early, with an empty batch, when a poll of ``max_batch_wait_ms``
        brings nothing, so the loop can check for a stop request. Without ``wait``
        it takes only the records the consumer has already fetched.
        """
        assert self._consumer is not None
        settings = self.settings
        deadline: float | None = None
        while not self._stop_requested and len(self._batch) < settings.max_batch_size:
            if not wait:
                timeout_ms = 0
            elif deadline is None:
                timeout_ms = settings.max_batch_wait_ms
            else:
                remaining_s = deadline - time.monotonic()
                if remaining_s <= 0:
                    return
                timeout_ms = max(1, int(remaining_s * 1000))
            polled = self._consumer.poll(
                timeout_ms=timeout_ms,
                max_records=settings.max_batch_size - len(self._batch),
            )
            self._last_loop_at = time.monotonic()
            if polled:
                self._batch.add(polled)
                self._replay.trim(self._consumer, self._batch)
            elif not wait:
                return
            if deadline is None:
                if not len(self._batch):
                    return
                deadline = time.monotonic() + settings.max_batch_wait_ms / 1000

    def _start_batch(self) -> InFlightBatch:
        """Take the pending batch, decode it and hand its texts to the model."""
        assert self._inference is not None
        records, offsets = self._batch.take()
        prepared = self._processor.prepare(records)
        inference = self._inference.submit(self._processor.classify, prepared.texts)
        return InFlightBatch(records, offsets, prepared, inference)

    def _finish_batch(self, batch: InFlightBatch) -> None:
        """Deliver the in-flight batch's records, then commit its offsets.

        1. Wait for the model's predictions and build the output and dead-letter
           records. Invalid records become dead letters; records of partitions
           revoked meanwhile are left out.
        2. Send the outputs and dead letters, then wait until the broker
           acknowledges every one. Failed sends are retried with backoff. If they
           keep failing, `DeliveryError` stops the worker before step 4.
        3. Dead-letter the outputs that are too large for the broker, and wait
           for those acknowledgements too.
        4. Commit the offsets, together with earlier acknowledged offsets whose
           commit failed.
        5. Update the metrics and the consumer lag.
        """
        assert self._deliverer is not None
        started = time.monotonic()

        # 1. Classify
        classified = self._processor.complete(
            batch.prepared, batch.inference.result(), dropped=batch.dropped
        )

        # 2. Deliver and wait for acknowledgements
        result = self._deliverer.deliver(classified.outputs + classified.dead_letters)
        acknowledged = result.acknowledged

        # 3. Dead-letter what is too large
        if result.too_large:
            acknowledged = acknowledged + self._deliver_too_large(result.too_large)
        acknowledged_at = time.time()

        # 4. Commit
        self._acknowledged.update(batch.offsets)
        self._commit()

        # 5. Metrics
        self._record_batch(batch.records, classified, acknowledged, acknowledged_at)
        self._update_lag()
        self._last_loop_at = time.monotonic()
        self._warn_if_slow(len(batch.records), self._last_loop_at - started)

    def _warn_if_slow(self, record_count: int, elapsed_s: float) -> None:
        # The group drops a member that does not poll within max.poll.interval.ms,
        # so a batch should take a fraction of it.
        limit_s = self.settings.max_poll_interval_ms / 1000
        if elapsed_s > limit_s * SLOW_BATCH_FRACTION:
            log.warning(
                "Batch of %d records took %.1f s, over %d%% of max_poll_interval_ms "
                "(%.0f s). Lower --max-batch-size before the group drops this worker",
                record_count,
                elapsed_s,
                SLOW_BATCH_FRACTION * 100,
                limit_s,
            )

    def _deliver_too_large(
        self, too_large: list[tuple[OutgoingRecord, KafkaError]]
    ) -> list[OutgoingRecord]:
        """Deliver dead letters for records the broker rejected as too large.

        An output becomes an ``output_too_large`` dead letter with the raw input.
        A dead letter that is itself too large is sent again without the raw value.
        Two rounds cover both cases for an output.
        """
        assert self._deliverer is not None
        acknowledged: list[OutgoingRecord] = []
        for _ in range(2):
            if not too_large:
                return acknowledged
            letters = [
                self._replace_too_large(record, error) for record, error in too_large
            ]
            result = self._deliverer.deliver(letters)
            acknowledged.extend(result.acknowledged)
            too_large = result.too_large
        if too_large:
            record, error = too_large[0]
            raise DeliveryError(
                f"a dead letter without the raw value is still too large for topic "
                f"{record.topic!r}: {error!r} (input {_position(record)}). Raise the "
                "topic's max.message.bytes. The batch was not committed"
            )
        return acknowledged

    def _replace_too_large(
        self, record: OutgoingRecord, error: KafkaError
    ) -> OutgoingRecord:
        if record.topic != self.settings.dlq_topic:
            return self._processor.dead_letter(
                record.source,
                DeadLetterReason.OUTPUT_TOO_LARGE,
                f"the enriched record of {len(record.value)} bytes is too large for "
                f"topic {record.topic!r}: {error!r}",
            )
        original_message = json.loads(record.value)["message"]
        return self._processor.dead_letter(
            record.source,
            DeadLetterReason(_reason_of(record)),
            f"{original_message}. The raw value was left out because the dead "
            f"letter was too large for topic {record.topic!r}: {error!r}",
            include_value=False,
        )

    def _commit(self) -> None:
        """Commit every acknowledged offset, keeping them for the next try on failure.

        A rejected commit is not retried here: after the rebalance that caused it,
        the partition's owner consumes the records again from the last committed
        offset, which keeps delivery at-least-once.
        """
        assert self._consumer is not None
        offsets = dict(self._acknowledged)
        try:
            self._consumer.commit(offsets)
        except (CommitFailedError, RebalanceInProgressError) as exc:
            self._count_commit_failure()
            log.warning(
                "Offset commit rejected by the group coordinator (%r) for %s. The "
                "records are consumed again after the rebalance",
                exc,
                _describe_offsets(offsets),
            )
            return
        except KafkaError as exc:
            self._count_commit_failure()
            log.warning(
                "Offset commit failed (%r) for %s. The next commit includes them",
                exc,
                _describe_offsets(offsets),
            )
            return
        self._acknowledged.clear()
        self.totals.commits += 1
        log.debug("Committed %s", _describe_offsets(offsets))

    def _count_commit_failure(self) -> None:
        self.metrics.commit_failures.inc()
        self.totals.commit_failures += 1

    def _replay_finished(self) -> bool:
        if not self._replay.stops_at_end or not self._assigned_once:
            return False
        assert self._consumer is not None
        return self._replay.is_done(self._consumer, self._assignment)

    # Metrics

    def _record_batch(
        self,
        records: Sequence[object],
        classified: ClassifiedBatch,
        acknowledged: Sequence[OutgoingRecord],
        acknowledged_at: float,
    ) -> None:
        metrics = self.metrics
        metrics.records_consumed.inc(len(records))
        metrics.batch_size.observe(len(records))
        if classified.inference_s is not None:
            metrics.inference_duration.observe(classified.inference_s)
        self._record_predictions(classified)

        dead_letters = [r for r in acknowledged if r.topic == self.settings.dlq_topic]
        outputs = [r for r in acknowledged if r.topic != self.settings.dlq_topic]
        metrics.records_produced.inc(len(outputs))
        for output in outputs:
            if output.source.timestamp >= 0:
                latency_s = acknowledged_at - output.source.timestamp / 1000
                metrics.end_to_end_latency.observe(max(latency_s, 0.0))
        for letter in dead_letters:
            metrics.records_dead_lettered.labels(_reason_of(letter)).inc()
        if dead_letters:
            self._log_dead_letters(dead_letters)

        self.totals.batches += 1
        self.totals.consumed += len(records)
        self.totals.produced += len(outputs)
        self.totals.dead_lettered += len(dead_letters)
        log.debug(
            "Batch of %d records: %d produced, %d dead-lettered, inference %.3f s",
            len(records),
            len(outputs),
            len(dead_letters),
            classified.inference_s or 0.0,
        )

    def _record_predictions(self, classified: ClassifiedBatch) -> None:
        # Counters are increased once per label and batch, and each labelled child
        # is looked up once per batch: per-record `labels()` calls cost more than
        # the rest of the metrics together.
        metrics = self.metrics
        threshold = self.settings.low_confidence_threshold
        predicted: Counter[tuple[str, str]] = Counter()
        low: Counter[str] = Counter()
        confidences: dict[str, list[float]] = {"category": [], "sentiment": []}
        for prediction in classified.predictions:
            predicted["category", prediction.category] += 1
            predicted["sentiment", prediction.sentiment] += 1
            confidences["category"].append(prediction.category_confidence)
            confidences["sentiment"].append(prediction.sentiment_confidence)
        for (task, label), count in predicted.items():
            metrics.predictions.labels(task, label).inc(count)
        for task, values in confidences.items():
            histogram = metrics.confidence.labels(task)
            for confidence in values:
                histogram.observe(confidence)
            low[task] = sum(1 for confidence in values if confidence < threshold)
        for task, count in low.items():
            if count:
                metrics.low_confidence.labels(task).inc(count)

    def _log_dead_letters(self, dead_letters: Sequence[OutgoingRecord]) -> None:
        named = ", ".join(
            f"{_position(letter)} {_reason_of(letter)}"
            for letter in dead_letters[:DEAD_LETTERS_LOGGED]
        )
        more = len(dead_letters) - DEAD_LETTERS_LOGGED
        log.warning(
            "Dead-lettered %d record(s) to %s: %s%s",
            len(dead_letters),
            self.settings.dlq_topic,
            named,
            f" and {more} more" if more > 0 else "",
        )

    def _update_lag(self) -> None:
        """Set the lag gauge of each assigned partition: highwater minus position."""
        assert self._consumer is not None
        self._lag_updated_at = time.monotonic()
        for tp in self._assignment:
            try:
                highwater = self._consumer.highwater(tp)
                position = self._consumer.position(
                    tp, timeout_ms=LAG_POSITION_TIMEOUT_MS
                )
            except KafkaError:
                continue  # the partition is being revoked, which removes its series
            if highwater is not None and position is not None:
                self.metrics.set_lag(tp.partition, max(highwater - position, 0))

    # Rebalance events, called on kafka-python's network thread while the worker's
    # thread waits in poll() or close(). See worker.rebalance.

    def partitions_revoked(
        self, revoked: set[TopicPartition]
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        """Drop the pending records of ``revoked`` and return offsets to commit now."""
        dropped = self._drop_uncommitted(revoked)
        self._assignment = self._assignment - revoked
        self.metrics.forget_partitions(tp.partition for tp in revoked)
        to_commit = {
            tp: self._acknowledged.pop(tp) for tp in revoked if tp in self._acknowledged
        }
        if not revoked:
            return to_commit  # the first join of the group revokes nothing
        log.info(
            "Partitions revoked: %s, %d pending record(s) dropped for the next owner",
            _describe_partitions(revoked),
            dropped,
        )
        return to_commit

    def revoked_offsets_committed(
        self,
        offsets: dict[TopicPartition, OffsetAndMetadata],
        error: KafkaError | None,
    ) -> None:
        """Count and log the commit made when partitions were revoked."""
        if error is None:
            self.totals.commits += 1
            log.info("Committed on revocation: %s", _describe_offsets(offsets))
            return
        self._count_commit_failure()
        log.warning(
            "Commit on revocation failed (%r) for %s. The next owner consumes these "
            "records again",
            error,
            _describe_offsets(offsets),
        )

    def _drop_uncommitted(self, partitions: set[TopicPartition]) -> int:
        """Drop the pending and in-flight records of ``partitions``; count them."""
        dropped = self._batch.drop(partitions)
        if self._in_flight is not None:
            dropped += self._in_flight.drop(partitions)
        self.totals.dropped_on_revocation += dropped
        return dropped

    def partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Record the new assignment and apply the replay start offsets."""
        self._assignment = frozenset(assigned)
        self._assigned_once = True
        if self._consumer is not None:
            self._replay.seek_assigned(self._consumer, assigned)
        log.info("Partitions assigned: %s", _describe_partitions(assigned))

    def partitions_lost(self, lost: set[TopicPartition]) -> None:
        """Forget ``lost`` without committing: other members own them already."""
        dropped = self._drop_uncommitted(lost)
        self._assignment = self._assignment - lost
        self.metrics.forget_partitions(tp.partition for tp in lost)
        uncommitted = [tp for tp in lost if tp in self._acknowledged]
        for tp in uncommitted:
            del self._acknowledged[tp]
        log.warning(
            "Partitions lost: %s, %d pending record(s) dropped. Acknowledged but "
            "uncommitted records of %s are consumed again by the next owner",
            _describe_partitions(lost),
            dropped,
            _describe_partitions(uncommitted) if uncommitted else "no partition",
        )

    # Health probes, called from the HTTP server's threads

    def liveness(self) -> tuple[bool, str]:
        """Return whether the consume loop is alive: running and not stalled."""
        if self._loop_state == "starting":
            return True, "starting"
        if self._loop_state == "stopped":
            return False, "consume loop stopped"
        stalled_s = time.monotonic() - self._last_loop_at
        limit_s = self.settings.max_poll_interval_ms / 1000
        if stalled_s > limit_s:
            return (
                False,
                f"consume loop stalled for {stalled_s:.0f} s (limit {limit_s:.0f} s)",
            )
        return True, "ok"

    def readiness(self) -> tuple[bool, str]:
        """Return whether the model is loaded and the consumer has partitions."""
        if self._loop_state != "running":
            return False, f"consume loop {self._loop_state}"
        if not self._assignment:
            return False, "no partitions assigned"
        return True, "ok"

    @property
    def metrics_port(self) -> int | None:
        """Port of the HTTP server, or None when it is disabled."""
        return None if self._http is None else self._http.port

    @property
    def assignment(self) -> frozenset[TopicPartition]:
        """Input partitions currently assigned to this worker."""
        return self._assignment


def _reason_of(record: OutgoingRecord) -> str:
    for name, value in record.headers:
        if name == REASON_HEADER:
            return value.decode("ascii")
    raise ValueError(
        f"dead letter for {_position(record)} has no {REASON_HEADER} header"
    )


def _position(record: OutgoingRecord) -> str:
    source = record.source
    return f"{source.topic}[{source.partition}]@{source.offset}"


def _describe_partitions(partitions: Iterable[TopicPartition]) -> str:
    names = sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions)
    return ", ".join(names) if names else "none"


def _describe_offsets(offsets: dict[TopicPartition, OffsetAndMetadata]) -> str:
    return ", ".join(
        f"{tp.topic}[{tp.partition}]={meta.offset}"
        for tp, meta in sorted(offsets.items())
    )
