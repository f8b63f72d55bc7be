"""Record formats: the input feedback record, the enriched output and the dead letter.

Input value: a JSON object with ``complaint_id`` (non-empty string) and ``text``
(string). Every other field passes through unchanged.

Output value (key = ``complaint_id``): the input object plus a ``classification``
object, see `Classification`.

Dead-letter value: see `DeadLetter`. The reason code is also the ``reason`` header.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from worker.exceptions import InvalidRecordError

CLASSIFICATION_FIELD = "classification"
REASON_HEADER = "reason"
# A float32 softmax can come out a few ulps above 1.0, which is rounding and not an
# invalid prediction. Confidences up to this value are written as 1.0.
CONFIDENCE_ROUNDING = 1e-6


class DeadLetterReason(StrEnum):
    """Closed set of reasons for sending a record to the dead-letter topic."""

    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    INVALID_FIELDS = "invalid_fields"
    EMPTY_TEXT = "empty_text"
    PREDICTION_FAILED = "prediction_failed"
    OUTPUT_TOO_LARGE = "output_too_large"


class SourceRecord(Protocol):
    """The parts of a kafka-python `ConsumerRecord` that the worker reads."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


class PredictionLike(Protocol):
    """The fields of `model.Prediction` that go into the output."""

    @property
    def category(self) -> str: ...
    @property
    def category_confidence(self) -> float: ...
    @property
    def sentiment(self) -> str: ...
    @property
    def sentiment_confidence(self) -> float: ...
    @property
    def probabilities(self) -> Mapping[str, Mapping[str, float]]: ...
    @property
    def truncated(self) -> bool: ...


class FeedbackInput(BaseModel):
    """Required fields of an input record. Other fields are allowed and kept."""

    # strict: a number is not a complaint id and must not be turned into one.
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    complaint_id: str = Field(min_length=1)
    text: str

    @field_validator("complaint_id")
    @classmethod
    def _check_id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("complaint_id must not be whitespace only")
        return value


class SourcePosition(BaseModel):
    """Topic, partition and offset of the input record."""

    model_config = ConfigDict(frozen=True)

    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)


class Classification(BaseModel):
    """The ``classification`` object that the worker adds to each record."""

    model_config = ConfigDict(frozen=True)

    category: str
    category_confidence: float = Field(ge=0.0, le=1.0)
    sentiment: str
    sentiment_confidence: float = Field(ge=0.0, le=1.0)
    # {"category": {label: probability}, "sentiment": {label: probability}}, with
    # every label of both tasks.
    probabilities: dict[Literal["category", "sentiment"], dict[str, float]]
    truncated: bool
    model_version: str
    processed_at: AwareDatetime
    input: SourcePosition

    @field_validator("category_confidence", "sentiment_confidence", mode="before")
    @classmethod
    def _clamp_rounding_error(cls, value: Any) -> Any:
        if isinstance(value, float) and 1.0 < value <= 1.0 + CONFIDENCE_ROUNDING:
            return 1.0
        return value


_AWARE_DATETIME = TypeAdapter(AwareDatetime)


class RawBytes(BaseModel):
    """Raw key or value bytes: UTF-8 text when they decode, else base64."""

    model_config = ConfigDict(frozen=True)

    encoding: Literal["utf-8", "base64"]
    data: str

    @classmethod
    def from_bytes(cls, raw: bytes) -> RawBytes:
        """Wrap ``raw`` as text when it is valid UTF-8, as base64 otherwise."""
        try:
            return cls(encoding="utf-8", data=raw.decode("utf-8"))
        except UnicodeDecodeError:
            return cls(encoding="base64", data=base64.b64encode(raw).decode("ascii"))


class DeadLetterSource(BaseModel):
    """Position and timestamp of the dead-lettered input record."""

    model_config = ConfigDict(frozen=True)

    topic: str
    partition: int
    offset: int
    # Broker or producer time of the input record, as Kafka stored it.
    timestamp: AwareDatetime | None


class DeadLetter(BaseModel):
    """Value of a dead-letter record."""

    model_config = ConfigDict(frozen=True)

    reason: DeadLetterReason
    message: str
    source: DeadLetterSource
    key: RawBytes | None
    value: RawBytes | None
    # Size of the raw value when it was left out because the dead letter was too
    # large for the dead-letter topic. The source position still finds the record.
    value_omitted_bytes: int | None = None
    dead_lettered_at: AwareDatetime


def decode_feedback(value: bytes | None) -> dict[str, Any]:
    """Decode and validate an input value, returning the JSON object unchanged.

    Raises:
        InvalidRecordError: with the dead-letter reason and a readable message.
    """
    if value is None:
        raise InvalidRecordError(
            DeadLetterReason.INVALID_JSON, "record has no value (a tombstone)"
        )
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecordError(
            DeadLetterReason.INVALID_UTF8,
            f"value is not valid UTF-8: byte {exc.start} is {value[exc.start]:#04x}",
        ) from exc
    try:
        document = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float
        )
    except (json.JSONDecodeError, ValueError) as exc:
        raise InvalidRecordError(
            DeadLetterReason.INVALID_JSON, f"value is not valid JSON: {exc}"
        ) from exc
    if not isinstance(document, dict):
        raise InvalidRecordError(
            DeadLetterReason.NOT_AN_OBJECT,
            f"value is a JSON {_json_type(document)}, expected an object",
        )
    _validate_fields(document)
    return document


def _validate_fields(document: dict[str, Any]) -> None:
    # The checks of FeedbackInput, written out for the common valid record, because
    # validating with the pydantic model costs more than the rest of decoding. A
    # record that fails them still goes through the model, whose errors name the
    # fields.
    complaint_id, text = document.get("complaint_id"), document.get("text")
    if not (type(complaint_id) is str and complaint_id.strip() and type(text) is str):
        try:
            record = FeedbackInput.model_validate(document)
        except ValidationError as exc:
            raise InvalidRecordError(
                DeadLetterReason.INVALID_FIELDS, _describe_errors(exc)
            ) from exc
        complaint_id, text = record.complaint_id, record.text
    if CLASSIFICATION_FIELD in document:
        raise InvalidRecordError(
            DeadLetterReason.INVALID_FIELDS,
            f"field {CLASSIFICATION_FIELD!r} is reserved for the worker's output; "
            "an already classified record must not be classified again",
        )
    if not text.strip():
        raise InvalidRecordError(
            DeadLetterReason.EMPTY_TEXT,
            f"text of complaint_id {complaint_id!r} is empty or whitespace",
        )


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity, which are not JSON and which other
    # consumers of the output topic could not parse.
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    # A literal such as 1e400 is valid JSON but overflows a double to infinity,
    # which the output could not hold.
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"number {literal} is too large for a 64-bit float")
    return value


def _json_type(document: object) -> str:
    if isinstance(document, list):
        return "array"
    if isinstance(document, str):
        return "string"
    if isinstance(document, bool):
        return "boolean"
    if document is None:
        return "null"
    return "number"


def _describe_errors(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "value"
        problems.append(
            f"field {field!r}: {error['msg']} (got {type(error['input']).__name__})"
        )
    return "; ".join(problems)


def json_timestamp(moment: datetime) -> str:
    """Return ``moment`` as the output writes it, for example 2024-05-01T12:00:00Z.

    Raises:
        ValidationError: when ``moment`` has no time zone.
    """
    return _AWARE_DATETIME.dump_python(
        _AWARE_DATETIME.validate_python(moment), mode="json"
    )


def build_classification(
    prediction: PredictionLike,
    *,
    model_version: str,
    source: SourceRecord,
    processed_at: str,
) -> dict[str, Any]:
    """Build the ``classification`` object for one prediction, ready for JSON.

    The result equals ``Classification(...).model_dump(mode="json")``, with the
    checks of `Classification` written out: building the model for every record
    would cost more than the rest of the output path. ``processed_at`` comes from
    `json_timestamp`, once per batch.

    Raises:
        ValueError: naming the field that does not hold a valid prediction.
    """
    return {
        "category": _label("category", prediction.category),
        "category_confidence": _confidence(
            "category_confidence", prediction.category_confidence
        ),
        "sentiment": _label("sentiment", prediction.sentiment),
        "sentiment_confidence": _confidence(
            "sentiment_confidence", prediction.sentiment_confidence
        ),
        "probabilities": _probabilities(prediction.probabilities),
        "truncated": _flag("truncated", prediction.truncated),
        "model_version": model_version,
        "processed_at": processed_at,
        "input": {
            "topic": source.topic,
            "partition": source.partition,
            "offset": source.offset,
        },
    }


def _label(name: str, value: object) -> str:
    if type(value) is not str:
        raise ValueError(f"{name} is {type(value).__name__} {value!r}, expected str")
    return value


def _confidence(name: str, value: object) -> float:
    number = _probability(name, value, rounding=CONFIDENCE_ROUNDING)
    return min(number, 1.0)


def _probability(name: str, value: object, *, rounding: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} is {type(value).__name__}, expected a number")
    number = float(value)
    # NaN fails both comparisons.
    if not 0.0 <= number <= 1.0 + rounding:
        raise ValueError(f"{name} is {number}, expected a probability in [0, 1]")
    return number


def _probabilities(
    probabilities: Mapping[str, Mapping[str, float]],
) -> dict[str, dict[str, float]]:
    result: dict[str, dict[str, float]] = {}
    for task, labels in probabilities.items():
        if task not in ("category", "sentiment"):
            raise ValueError(
                f"probabilities has task {task!r}, expected category or sentiment"
            )
        result[task] = {
            _label(f"a {task} label", label): _probability(
                f"probability of {label!r}", value, rounding=CONFIDENCE_ROUNDING
            )
            for label, value in labels.items()
        }
    return result


def _flag(name: str, value: object) -> bool:
    if type(value) is not bool:
        raise ValueError(f"{name} is {type(value).__name__}, expected bool")
    return value


def encode_enriched(
    document: Mapping[str, Any], classification: Mapping[str, Any]
) -> bytes:
    """Serialize the input object plus its ``classification`` as UTF-8 JSON."""
    enriched = dict(document)
    enriched[CLASSIFICATION_FIELD] = classification
    return encode_json(enriched)


def build_dead_letter(
    source: SourceRecord,
    reason: DeadLetterReason,
    message: str,
    *,
    now: datetime,
    include_value: bool = True,
) -> DeadLetter:
    """Build the dead-letter value for ``source``.

    With ``include_value=False`` the raw value is left out and only its size kept,
    for a record whose dead letter would be too large for the dead-letter topic.
    """
    raw_value = source.value
    omitted = None
    if not include_value and raw_value is not None:
        omitted = len(raw_value)
        raw_value = None
    return DeadLetter(
        reason=reason,
        message=message,
        source=DeadLetterSource(
            topic=source.topic,
            partition=source.partition,
            offset=source.offset,
            timestamp=_kafka_timestamp(source.timestamp),
        ),
        key=None if source.key is None else RawBytes.from_bytes(source.key),
        value=None if raw_value is None else RawBytes.from_bytes(raw_value),
        value_omitted_bytes=omitted,
        dead_lettered_at=now,
    )


def encode_dead_letter(dead_letter: DeadLetter) -> bytes:
    """Serialize a dead letter as UTF-8 JSON."""
    return encode_json(dead_letter.model_dump(mode="json"))


def encode_json(document: Mapping[str, Any]) -> bytes:
    """Serialize ``document`` as compact UTF-8 JSON.

    orjson wrote an enriched record in 2.4 µs here, ``json`` in 43 µs. Two
    kinds of input value it rejects, and ``json`` writes instead: an integer
    beyond 64 bits, and a string with a lone surrogate (valid JSON as ``\\ud800``,
    but not encodable as UTF-8). The latter is written with ASCII escapes, which
    every JSON parser reads back to the same string.

    NOTE: orjson writes NaN and infinity as null. No document here holds them:
    `decode_feedback` rejects them in the input, `build_classification` in
    predictions.
    """
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(
            document, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(document, separators=(",", ":"), allow_nan=False).encode(
            "ascii"
        )


def _kafka_timestamp(timestamp_ms: int | None) -> datetime | None:
    # kafka-python reports -1 when a record carries no timestamp.
    if timestamp_ms is None or timestamp_ms < 0 or not math.isfinite(timestamp_ms):
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
