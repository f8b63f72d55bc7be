"""The model in a child process, so that inference does not share the GIL.

In one process, the model thread and the Kafka client threads take turns on the
GIL: each time ONNX Runtime returns, the model thread waits until the consume loop
releases it. A child process has its own interpreter, so the model keeps one core
busy while the parent runs the Kafka path on the other.

Parent and child talk over a pipe, one request at a time::

    parent                                    child
    start  ───────────── spawn ─────────────> load the model
           <──── ("ready", model metadata) ── or ("error", message)
    predict ──────────── texts ─────────────> Predictor.predict
           <──── ("ok", predictions) ──────── or ("error", exception)
    close  ───────────── None ──────────────> exit

The child ignores SIGINT and SIGTERM: the parent finishes its batch on those
signals and then closes the child. It also exits when the pipe closes, after the
batch it is classifying, so a parent that dies does not leave it running.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from worker.exceptions import ModelProcessError, StartupError
from worker.records import PredictionLike
from worker.settings import WorkerSettings

log = logging.getLogger(__name__)

# Loading imports PyTorch and exports the ONNX graph: seconds on a quiet machine.
START_TIMEOUT_S = 300.0
CLOSE_TIMEOUT_S = 10.0


class ProcessClassifier:
    """A `Classifier` whose ``predict`` runs the model in a child process.

    The child loads the model from ``settings.artifacts`` with the settings'
    variant and thread count. One call runs at a time, and concurrent calls wait.

    Example:
        >>> classifier = ProcessClassifier(WorkerSettings())
        >>> classifier.predict(["no signal since monday"])[0].category
        >>> classifier.close()
    """

    def __init__(self, settings: WorkerSettings) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child_end, settings.model_copy(update={"model_process": False})),
            name="feedback-model",
            daemon=True,
        )
        self._lock = threading.Lock()
        self._process.start()
        child_end.close()
        status, payload = self._receive(START_TIMEOUT_S, during="loading the model")
        if status != "ready":
            self.close()
            raise StartupError(payload)
        self._metadata: dict[str, Any] = payload
        log.info("Model process %d serves %s", self._process.pid, payload)

    @property
    def model_version(self) -> str:
        """Content hash of the artifact files the child loaded."""
        return self._metadata["model_version"]

    @property
    def category_labels(self) -> Sequence[str]:
        """Category names in the order of the category head's outputs."""
        return self._metadata["category_labels"]

    @property
    def sentiment_labels(self) -> Sequence[str]:
        """Sentiment names in the order of the sentiment head's outputs."""
        return self._metadata["sentiment_labels"]

    def predict(self, texts: Sequence[str]) -> Sequence[PredictionLike]:
        """Classify ``texts`` in the child and re-raise the child's exception.

        Raises:
            ModelProcessError: when the child has exited.
        """
        with self._lock:
            try:
                self._connection.send(list(texts))
            except OSError as exc:
                raise self._exited("sending texts") from exc
            status, payload = self._receive(None, during="classifying")
        if status == "error":
            raise payload
        return payload

    def close(self) -> None:
        """Ask the child to exit, wait for it, and kill it if it is still running."""
        try:
            self._connection.send(None)
        except OSError:
            pass  # the child has exited already
        self._process.join(CLOSE_TIMEOUT_S)
        if self._process.is_alive():
            log.warning(
                "Model process %d did not exit within %.0f s, killing it",
                self._process.pid,
                CLOSE_TIMEOUT_S,
            )
            self._process.kill()
            self._process.join(CLOSE_TIMEOUT_S)
        self._connection.close()

    def _receive(self, timeout_s: float | None, *, during: str) -> tuple[str, Any]:
        try:
            if timeout_s is not None and not self._connection.poll(timeout_s):
                self._process.kill()
                raise StartupError(
                    f"the model process timed out after {timeout_s:.0f} s {during}. "
                    "Check the artifacts directory and the machine's load"
                )
            return self._connection.recv()
        except (EOFError, OSError) as exc:
            raise self._exited(during) from exc

    def _exited(self, during: str) -> ModelProcessError:
        self._process.join(CLOSE_TIMEOUT_S)
        return ModelProcessError(
            f"the model process exited with code {self._process.exitcode} while "
            f"{during}. Its error output above gives the cause. The batch was not "
            "committed"
        )


def _serve(connection: Connection, settings: WorkerSettings) -> None:
    """Load the model, then serve requests until ``None`` or a closed pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Imported in the child: the parent needs neither PyTorch nor the model.
    from worker.classifier import load_predictor

    try:
        predictor = load_predictor(settings)
    except StartupError as exc:
        connection.send(("error", str(exc)))
        return
    connection.send(
        (
            "ready",
            {
                "model_version": predictor.model_version,
                "category_labels": tuple(predictor.category_labels),
                "sentiment_labels": tuple(predictor.sentiment_labels),
                "variant": settings.model_variant,
            },
        )
    )
    while True:
        try:
            texts = connection.recv()
        except EOFError:
            return  # the parent has gone
        if texts is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", list(predictor.predict(texts)))
        except Exception as exc:  # every model failure goes back to the parent
            reply = ("error", exc)
        try:
            connection.send(reply)
        except BrokenPipeError:
            return
        except Exception:  # the exception does not pickle: send its text
            connection.send(("error", RuntimeError(repr(reply[1]))))
