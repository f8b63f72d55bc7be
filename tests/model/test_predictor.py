from __future__ import annotations

import math
from pathlib import Path

import pytest
from artifact_factory import CATEGORY_LABELS, MAX_TOKENS, SENTIMENT_LABELS

from model import VARIANTS, Prediction, Predictor
from model.artifacts import load_artifacts

TEXTS = [
    "no signal since monday",
    "bill is wrong!!",
    "",
    "agent was rude 😡 and didn't call back",
]
LONG_TEXTS = [" ".join(["signal slow refund bill agent rude fast"] * 30)] * 3


@pytest.fixture(scope="module")
def predictor(artifacts_dir: Path) -> Predictor:
    return Predictor.load(artifacts_dir)


def assert_same_prediction(
    actual: Prediction, expected: Prediction, atol: float
) -> None:
    assert actual.category == expected.category
    assert actual.sentiment == expected.sentiment
    assert actual.truncated == expected.truncated
    for task, probabilities in expected.probabilities.items():
        for label, probability in probabilities.items():
            assert math.isclose(
                actual.probabilities[task][label], probability, abs_tol=atol
            ), (task, label)


def test_labels_read_from_artifacts(predictor: Predictor) -> None:
    assert predictor.category_labels == CATEGORY_LABELS
    assert predictor.sentiment_labels == SENTIMENT_LABELS
    assert predictor.max_tokens == MAX_TOKENS


def test_model_version_matches_artifacts(
    predictor: Predictor, artifacts_dir: Path
) -> None:
    assert predictor.model_version == load_artifacts(artifacts_dir).model_version


def test_predict_returns_one_prediction_per_text(predictor: Predictor) -> None:
    predictions = predictor.predict(TEXTS)
    assert len(predictions) == len(TEXTS)
    assert all(isinstance(p, Prediction) for p in predictions)


def test_predict_probabilities_cover_every_label(predictor: Predictor) -> None:
    for prediction in predictor.predict(TEXTS):
        category = prediction.probabilities["category"]
        sentiment = prediction.probabilities["sentiment"]
        assert list(category) == list(CATEGORY_LABELS)
        assert list(sentiment) == list(SENTIMENT_LABELS)
        assert math.isclose(sum(category.values()), 1.0, abs_tol=1e-5)
        assert math.isclose(sum(sentiment.values()), 1.0, abs_tol=1e-5)


def test_predict_confidence_is_top_probability(predictor: Predictor) -> None:
    for prediction in predictor.predict(TEXTS):
        category = prediction.probabilities["category"]
        sentiment = prediction.probabilities["sentiment"]
        assert prediction.category == max(category, key=category.__getitem__)
        assert prediction.category_confidence == category[prediction.category]
        assert prediction.sentiment == max(sentiment, key=sentiment.__getitem__)
        assert prediction.sentiment_confidence == sentiment[prediction.sentiment]


@pytest.mark.parametrize("fixture_name", ["artifacts_dir", "attention_artifacts_dir"])
def test_prediction_independent_of_batch(
    fixture_name: str, request: pytest.FixtureRequest
) -> None:
    predictor = Predictor.load(request.getfixturevalue(fixture_name), batch_size=4)
    alone = [predictor.predict([text])[0] for text in TEXTS]
    mixed = predictor.predict([LONG_TEXTS[0], *TEXTS, *LONG_TEXTS])
    for expected, actual in zip(alone, mixed[1 : 1 + len(TEXTS)], strict=True):
        assert_same_prediction(actual, expected, atol=1e-5)


def test_predict_keeps_input_order(predictor: Predictor) -> None:
    # Lengths in decreasing order, so the internal sort must reorder them.
    texts = [LONG_TEXTS[0], TEXTS[3], TEXTS[0], TEXTS[2]]
    batched = predictor.predict(texts)
    for text, prediction in zip(texts, batched, strict=True):
        assert_same_prediction(prediction, predictor.predict([text])[0], atol=1e-5)


def test_predictions_same_after_reload(
    predictor: Predictor, artifacts_dir: Path
) -> None:
    reloaded = Predictor.load(artifacts_dir)
    assert reloaded.predict(TEXTS) == predictor.predict(TEXTS)


def test_repeated_predictions_identical(predictor: Predictor) -> None:
    first = predictor.predict(TEXTS)
    assert all(predictor.predict(TEXTS) == first for _ in range(3))


def test_long_text_truncated_not_rejected(predictor: Predictor) -> None:
    long_prediction, short_prediction = predictor.predict([LONG_TEXTS[0], TEXTS[0]])
    assert long_prediction.truncated is True
    assert short_prediction.truncated is False


def test_truncation_keeps_first_tokens(predictor: Predictor) -> None:
    head = " ".join(["refund"] * MAX_TOKENS)
    with_tail, without_tail = predictor.predict([head + " rude rude rude", head])
    assert with_tail.probabilities == without_tail.probabilities


def test_empty_text_predicted(predictor: Predictor) -> None:
    prediction = predictor.predict(["#!@ ..."])[0]
    assert prediction.category in CATEGORY_LABELS


def test_predict_empty_list(predictor: Predictor) -> None:
    assert predictor.predict([]) == []


def test_predict_rejects_single_string(predictor: Predictor) -> None:
    with pytest.raises(TypeError, match="not a single str"):
        predictor.predict("no signal")


def test_predict_rejects_non_string(predictor: Predictor) -> None:
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        predictor.predict(["ok", 3])  # type: ignore[list-item]


def test_load_rejects_unknown_variant(artifacts_dir: Path) -> None:
    with pytest.raises(ValueError, match="float16") as caught:
        Predictor.load(artifacts_dir, variant="float16")  # type: ignore[arg-type]
    for variant in VARIANTS:
        assert variant in str(caught.value)


def test_int8_variant_close_to_float32(
    predictor: Predictor, artifacts_dir: Path
) -> None:
    quantized = Predictor.load(artifacts_dir, variant="int8")
    assert quantized.variant == "int8"
    assert quantized.model_version == predictor.model_version
    for actual, expected in zip(
        quantized.predict(TEXTS), predictor.predict(TEXTS), strict=True
    ):
        for task, probabilities in expected.probabilities.items():
            for label, probability in probabilities.items():
                assert math.isclose(
                    actual.probabilities[task][label], probability, abs_tol=0.05
                )


@pytest.mark.parametrize("fixture_name", ["artifacts_dir", "attention_artifacts_dir"])
def test_onnx_variant_matches_float32(
    fixture_name: str, request: pytest.FixtureRequest
) -> None:
    directory = request.getfixturevalue(fixture_name)
    reference = Predictor.load(directory)
    onnx = Predictor.load(directory, variant="onnx")
    texts = [*TEXTS, *LONG_TEXTS, "router", "billing", "no no no"]
    assert onnx.variant == "onnx"
    assert onnx.model_version == reference.model_version
    for actual, expected in zip(
        onnx.predict(texts), reference.predict(texts), strict=True
    ):
        assert_same_prediction(actual, expected, atol=1e-5)


def test_onnx_prediction_independent_of_batch(artifacts_dir: Path) -> None:
    onnx = Predictor.load(artifacts_dir, variant="onnx")
    alone = [onnx.predict([text])[0] for text in TEXTS]
    mixed = onnx.predict([LONG_TEXTS[0], *TEXTS, *LONG_TEXTS])
    for expected, actual in zip(alone, mixed[1 : 1 + len(TEXTS)], strict=True):
        assert_same_prediction(actual, expected, atol=1e-5)
