"""The model in a child process: same predictions, errors, exit and shutdown."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from worker import WorkerSettings
from worker.exceptions import ModelProcessError
from worker.model_process import ProcessClassifier

TEXTS = ["no signal since monday", "charged twice this month", "thank you, great help"]


@pytest.fixture
def served(artifacts_dir: Path) -> Iterator[ProcessClassifier]:
    classifier = ProcessClassifier(WorkerSettings(artifacts=artifacts_dir))
    yield classifier
    classifier.close()


def test_child_predicts_as_the_predictor_does(
    served: ProcessClassifier, predictor: Any
) -> None:
    assert served.model_version == predictor.model_version
    assert tuple(served.category_labels) == tuple(predictor.category_labels)
    assert tuple(served.sentiment_labels) == tuple(predictor.sentiment_labels)

    assert list(served.predict(TEXTS)) == list(predictor.predict(TEXTS))


def test_model_error_comes_back_and_child_keeps_serving(
    served: ProcessClassifier,
) -> None:
    with pytest.raises(TypeError, match="texts\\[1\\] is int"):
        served.predict(["fine", 5])  # type: ignore[list-item]

    assert len(served.predict(TEXTS)) == len(TEXTS)


def test_child_exit_raises_model_process_error(served: ProcessClassifier) -> None:
    pid = served._process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    served._process.join(30)

    with pytest.raises(ModelProcessError, match="exited with code -9"):
        served.predict(TEXTS)


def test_close_stops_the_child(artifacts_dir: Path) -> None:
    classifier = ProcessClassifier(WorkerSettings(artifacts=artifacts_dir))
    process = classifier._process

    # The child ignores SIGINT: Ctrl-C in a terminal reaches the whole process
    # group, and the parent finishes its batch before it closes the child.
    assert process.pid is not None
    os.kill(process.pid, signal.SIGINT)
    assert len(classifier.predict(TEXTS)) == len(TEXTS)

    classifier.close()

    assert not process.is_alive()
    assert process.exitcode == 0
