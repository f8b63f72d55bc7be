"""Prometheus metrics of one worker.

Every metric lives in the `CollectorRegistry` given to `WorkerMetrics`, so two workers
in one process (tests, benchmarks) each own a registry and do not clash. Label values
come from closed sets: dead-letter reasons, the two tasks, the model's labels and the
input topic's partition numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from worker.records import DeadLetterReason

TASKS = ("category", "sentiment")

BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
INFERENCE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Up to an hour, because a replay of old records measures their age.
LATENCY_BUCKETS = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
)
# A two-label task cannot score below 0.5 and a three-label task not below 1/3, so
# the buckets start at 0.3.
CONFIDENCE_BUCKETS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class WorkerMetrics:
    """The worker's counters, gauges and histograms, in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._define_throughput()
        self._define_predictions()
        self._define_failures()
        self.model_info = Info(
            "feedback_worker_model",
            "Version and variant of the loaded model.",
            registry=self.registry,
        )

    def _define_throughput(self) -> None:
        registry = self.registry
        self.records_consumed = Counter(
            "feedback_worker_records_consumed_total",
            "Input records taken into a batch.",
            registry=registry,
        )
        self.records_produced = Counter(
            "feedback_worker_records_produced_total",
            "Enriched records acknowledged by the broker.",
            registry=registry,
        )
        self.records_dead_lettered = Counter(
            "feedback_worker_records_dead_lettered_total",
            "Dead-letter records acknowledged by the broker, by reason.",
            ["reason"],
            registry=registry,
        )
        for reason in DeadLetterReason:
            self.records_dead_lettered.labels(reason.value)
        self.batch_size = Histogram(
            "feedback_worker_batch_size_records",
            "Records per processed micro-batch.",
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        )
        self.inference_duration = Histogram(
            "feedback_worker_inference_duration_seconds",
            "Time of one model call for a whole batch.",
            buckets=INFERENCE_BUCKETS,
            registry=registry,
        )
        self.end_to_end_latency = Histogram(
            "feedback_worker_end_to_end_latency_seconds",
            "Time from an input record's Kafka timestamp to the acknowledgement of "
            "its enriched record.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "feedback_worker_consumer_lag_records",
            "Records between the consumer position and the end of each assigned "
            "input partition.",
            ["partition"],
            registry=registry,
        )

    def _define_predictions(self) -> None:
        registry = self.registry
        self.predictions = Counter(
            "feedback_worker_predictions_total",
            "Predicted labels, by task and label.",
            ["task", "label"],
            registry=registry,
        )
        self.confidence = Histogram(
            "feedback_worker_confidence",
            "Confidence of the predicted label, by task.",
            ["task"],
            buckets=CONFIDENCE_BUCKETS,
            registry=registry,
        )
        self.low_confidence = Counter(
            "feedback_worker_low_confidence_total",
            "Predictions below the low-confidence threshold, by task.",
            ["task"],
            registry=registry,
        )
        for task in TASKS:
            self.confidence.labels(task)
            self.low_confidence.labels(task)

    def _define_failures(self) -> None:
        self.commit_failures = Counter(
            "feedback_worker_commit_failures_total",
            "Offset commits that the group coordinator rejected or that failed.",
            registry=self.registry,
        )
        self.send_failures = Counter(
            "feedback_worker_send_failures_total",
            "Record sends that failed, counted once per failed attempt.",
            registry=self.registry,
        )

    def set_model(
        self,
        *,
        model_version: str,
        variant: str,
        category_labels: Sequence[str],
        sentiment_labels: Sequence[str],
    ) -> None:
        """Publish the model info and create a zero series for every label."""
        self.model_info.info({"model_version": model_version, "variant": variant})
        for label in category_labels:
            self.predictions.labels("category", label)
        for label in sentiment_labels:
            self.predictions.labels("sentiment", label)

    def set_lag(self, partition: int, lag: int) -> None:
        """Set the consumer lag of one input partition."""
        self.consumer_lag.labels(str(partition)).set(lag)

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        """Remove the lag series of partitions this worker no longer owns."""
        for partition in partitions:
            try:
                self.consumer_lag.remove(str(partition))
            except KeyError:
                pass  # no batch ran while the partition was assigned
