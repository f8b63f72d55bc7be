"""Turning a batch of input records into output and dead-letter records.

This module has no Kafka client: it decodes, validates and classifies records and
builds what the worker then produces, so its logic runs in tests without a broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from worker.classifier import Classifier
from worker.delivery import OutgoingRecord
from worker.exceptions import InvalidRecordError, PredictionError
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


class BatchProcessor:
    """Decodes, validates and classifies input records in one model call per batch."""

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
        batch = ClassifiedBatch()
        valid: list[tuple[SourceRecord, dict[str, Any]]] = []
        for record in records:
            try:
                valid.append((record, decode_feedback(record.value)))
            except InvalidRecordError as exc:
                batch.dead_letters.append(
                    self.dead_letter(record, DeadLetterReason(exc.reason), exc.message)
                )
        if not valid:
            return batch

        started = time.perf_counter()
        predictions = self._predict([document["text"] for _, document in valid])
        batch.inference_s = time.perf_counter() - started

        processed_at = self._now()
        for (record, document), prediction in zip(valid, predictions, strict=True):
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
        processed_at: datetime,
    ) -> None:
        try:
            classification = build_classification(
                prediction,
                model_version=self._classifier.model_version,
                source=record,
                processed_at=processed_at,
            )
        except ValidationError as exc:
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
