"""TF-IDF and logistic regression baseline, one classifier per task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from model.preprocessing import Preprocessor
from training.dataset import CATEGORY_COLUMN, SENTIMENT_COLUMN, TEXT_COLUMN
from training.evaluation import task_metrics
from training.splits import DataSplits


def evaluate_tfidf_baseline(
    splits: DataSplits,
    preprocessor: Preprocessor,
    *,
    category_labels: Sequence[str],
    sentiment_labels: Sequence[str],
    seed: int,
) -> dict[str, Any]:
    """Fit on the training split and return test metrics of both tasks.

    The vectorizer uses the same preprocessing as the network, with unigrams and
    bigrams so that pairs such as "not working" become features of their own.
    """
    vectorizer = TfidfVectorizer(
        tokenizer=preprocessor.tokenize,
        lowercase=False,
        token_pattern=None,
        ngram_range=(1, 2),
        sublinear_tf=True,
    )
    train_features = vectorizer.fit_transform(splits.train[TEXT_COLUMN])
    test_features = vectorizer.transform(splits.test[TEXT_COLUMN])

    metrics: dict[str, Any] = {}
    for task, column, labels in (
        ("category", CATEGORY_COLUMN, category_labels),
        ("sentiment", SENTIMENT_COLUMN, sentiment_labels),
    ):
        index = {label: i for i, label in enumerate(labels)}
        y_train = [index[label] for label in splits.train[column]]
        y_test = [index[label] for label in splits.test[column]]
        # lbfgs is deterministic, so the seed changes nothing for this solver. It is
        # passed so that a change of solver stays reproducible.
        classifier = LogisticRegression(max_iter=2000, random_state=seed)
        classifier.fit(train_features, y_train)
        metrics[task] = task_metrics(y_test, classifier.predict(test_features), labels)
    return metrics
