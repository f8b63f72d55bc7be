"""Turning a batch of input records into output and dead-letter records.

This module has no Kafka client: it decodes, validates and classifies records and
builds what the worker then produces, so its logic runs in tests without a broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from worker.classifier import Classifier
from worker.delivery import OutgoingRecord
from worker.exceptions import InvalidRecordError, ModelProcessError, PredictionError
from worker.records import (
    REASON_HEADER,
    DeadLetterReason,
    PredictionLike,
    SourceRecord,
    build_classification,
    build_dead_letter,
    decode_feedback,
    encode_dead_letter,
    encode_enriched,
    json_timestamp,
)

log = logging.getLogger(__name__)


@dataclass
class ClassifiedBatch:
    """Records to produce for one batch, and what the model predicted."""

    outputs: list[OutgoingRecord] = field(default_factory=list)
    dead_letters: list[OutgoingRecord] = field(default_factory=list)
    predictions: list[PredictionLike] = field(default_factory=list)
    # Seconds of the one model call of the batch, or None when no text reached it.
    inference_s: float | None = None


@dataclass
class PreparedBatch:
    """A decoded batch: the valid records with their documents, and the dead letters.

    ``texts`` go to the model in one call, in the order of ``valid``.
    """

    valid: list[tuple[SourceRecord, dict[str, Any]]] = field(default_factory=list)
    dead_letters: list[OutgoingRecord] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        """The text of each valid record, in order."""
        return [document["text"] for _, document in self.valid]


@dataclass(frozen=True)
class Inference:
    """The model's result for a batch: a prediction or the error, per text."""

    results: list[PredictionLike | Exception]
    # Seconds of the model call, or None when there was no text to classify.
    seconds: float | None


class BatchProcessor:
    """Decodes, validates and classifies input records in one model call per batch.

    The three steps can run apart, so that the model classifies one batch while
    the worker delivers another. `prepare` decodes and validates. `classify` runs
    the model and is the only step that may run on another thread. `complete`
    builds the output and dead-letter records. `process` runs all three.
    """

    def __init__(
        self,
        classifier: Classifier,
        *,
        output_topic: str,
        dlq_topic: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._classifier = classifier
        self._output_topic = output_topic
        self._dlq_topic = dlq_topic
        self._now = now

    def process(self, records: Sequence[SourceRecord]) -> ClassifiedBatch:
        """Build the output and dead-letter records for ``records``.

        A record that cannot be decoded, validated or classified becomes a dead
        letter, and the rest of the batch is unaffected.

        Raises:
            PredictionError: when the model fails on every record of a batch of two
                or more, which points to the model rather than the records.
        """
        prepared = self.prepare(records)
        return self.complete(prepared, self.classify(prepared.texts))

    def prepare(self, records: Sequence[SourceRecord]) -> PreparedBatch:
        """Decode and validate ``records``; invalid ones become dead letters."""
        batch = PreparedBatch()
        for record in records:
            try:
                batch.valid.append((record, decode_feedback(record.value)))
            except InvalidRecordError as exc:
                batch.dead_letters.append(
                    self.dead_letter(record, DeadLetterReason(exc.reason), exc.message)
                )
        return batch

    def classify(self, texts: list[str]) -> Inference:
        """Classify ``texts`` in one model call, or one by one when that call fails.

        Raises:
            PredictionError: as in `process`.
        """
        if not texts:
            return Inference(results=[], seconds=None)
        started = time.perf_counter()
        results = self._predict(texts)
        return Inference(results=results, seconds=time.perf_counter() - started)

    def complete(
        self,
        prepared: PreparedBatch,
        inference: Inference,
        *,
        dropped: Collection[tuple[str, int]] = (),
    ) -> ClassifiedBatch:
        """Build the records to produce from ``prepared`` and its ``inference``.

        Records of the (topic, partition) pairs in ``dropped`` are left out: their
        partitions were revoked, and their next owner reads them again.
        """
        batch = ClassifiedBatch(inference_s=inference.seconds)
        batch.dead_letters.extend(
            letter
            for letter in prepared.dead_letters
            if (letter.source.topic, letter.source.partition) not in dropped
        )
        processed_at = json_timestamp(self._now())
        for (record, document), prediction in zip(
            prepared.valid, inference.results, strict=True
        ):
            if (record.topic, record.partition) in dropped:
                continue
            if isinstance(prediction, Exception):
                batch.dead_letters.append(
                    self.dead_letter(
                        record,
                        DeadLetterReason.PREDICTION_FAILED,
                        f"the model failed on this record: {prediction!r}",
                    )
                )
                continue
            self._add_output(batch, record, document, prediction, processed_at)
        return batch

    def _add_output(
        self,
        batch: ClassifiedBatch,
        record: SourceRecord,
        document: dict[str, Any],
        prediction: PredictionLike,
        processed_at: str,
    ) -> None:
        try:
            classification = build_classification(
                prediction,
                model_version=self._classifier.model_version,
                source=record,
                processed_at=processed_at,
            )
        except ValueError as exc:
            batch.dead_letters.append(
                self.dead_letter(
                    record,
                    DeadLetterReason.PREDICTION_FAILED,
                    f"the model returned an invalid prediction: {exc}",
                )
            )
            return
        batch.predictions.append(prediction)
        batch.outputs.append(
            OutgoingRecord(
                topic=self._output_topic,
                key=document["complaint_id"].encode("utf-8"),
                value=encode_enriched(document, classification),
                source=record,
            )
        )

    def _predict(self, texts: list[str]) -> list[PredictionLike | Exception]:
        """Classify ``texts`` in one call, or one by one when that call fails."""
        try:
            predictions = list(self._classifier.predict(texts))
            if len(predictions) != len(texts):
                raise ValueError(
                    f"predict returned {len(predictions)} predictions for "
                    f"{len(texts)} texts"
                )
            return predictions
        except ModelProcessError:
            raise  # no record is to blame
        except Exception as exc:  # any model failure: find the records that cause it
            log.error(
                "Model failed on a batch of %d texts (%r), classifying them one by one",
                len(texts),
                exc,
            )
        results: list[PredictionLike | Exception] = []
        for text in texts:
            try:
                (prediction,) = self._classifier.predict([text])
                results.append(prediction)
            except Exception as exc:  # this text is dead-lettered with the error
                results.append(exc)
        errors = [result for result in results if isinstance(result, Exception)]
        if len(texts) > 1 and len(errors) == len(texts):
            raise PredictionError(
                f"the model failed on all {len(texts)} texts of a batch, last error: "
                f"{errors[-1]!r}. Check the artifacts (--artifacts) and the model "
                "variant (--model-variant); the batch was not committed"
            ) from errors[-1]
        return results

    def dead_letter(
        self,
        record: SourceRecord,
        reason: DeadLetterReason,
        message: str,
        *,
        include_value: bool = True,
    ) -> OutgoingRecord:
        """Build the dead-letter record for ``record``, keyed by its original key."""
        dead_letter = build_dead_letter(
            record, reason, message, now=self._now(), include_value=include_value
        )
        return OutgoingRecord(
            topic=self._dlq_topic,
            key=record.key,
            value=encode_dead_letter(dead_letter),
            source=record,
            headers=[(REASON_HEADER, reason.value.encode("ascii"))],
        )
