"""Entry point: ``python -m worker``. Run it with ``--help`` for the options.

This module is the only place that configures logging handlers and signal handlers.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from worker.app import Worker
from worker.classifier import close_classifier, load_predictor
from worker.cli import parse_settings
from worker.exceptions import SettingsError, StartupError, WorkerError
from worker.settings import LogFormat, LogLevel

log = logging.getLogger("worker")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID_SETTINGS = 2
EXIT_STARTUP_FAILED = 3

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """Formats each log record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: LogFormat, level: LogLevel) -> None:
    """Send log lines to stderr as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if level != "DEBUG":
        # kafka-python logs its own connection and group steps at INFO, and the
        # worker logs the ones that matter (assignments, revocations) itself.
        logging.getLogger("kafka").setLevel(logging.WARNING)


def install_signal_handlers(worker: Worker) -> None:
    """Make SIGTERM and SIGINT request a clean stop of ``worker``."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Only set a flag: the loop finishes its batch, commits and leaves the group.
        worker.request_stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the worker until a stop request and return the exit status."""
    try:
        settings = parse_settings(argv)
    except SettingsError as exc:
        print(f"python -m worker: error: {exc}", file=sys.stderr)
        return EXIT_INVALID_SETTINGS
    configure_logging(settings.log_format, settings.log_level)
    try:
        predictor = load_predictor(settings)
        try:
            worker = Worker(settings, predictor=predictor)
            install_signal_handlers(worker)
            worker.run()
        finally:
            close_classifier(predictor)
    except StartupError as exc:
        log.error("Worker cannot start: %s", exc)
        return EXIT_STARTUP_FAILED
    except WorkerError:
        return EXIT_FAILED  # Worker.run logged the error before it stopped
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
