"""Fixtures of the worker tests: a trained model, topics and settings per test.

Broker tests run the real `model.Predictor`, loaded from artifacts that
`training.train_artifacts` writes once per session from the small fixture workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from worker import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
TRAINING_DATA = ROOT / "tests" / "fixtures" / "reviews_small.xlsx"

# Short timeouts, so rebalances and failures show within seconds. The broker of the
# test suite allows session timeouts down to 1000 ms.
TEST_SETTINGS: dict[str, Any] = {
    "session_timeout_ms": 6_000,
    "heartbeat_interval_ms": 500,
    "max_batch_wait_ms": 50,
    "metrics_port": 0,
    "startup_timeout_ms": 15_000,
    "shutdown_timeout_ms": 10_000,
    "delivery_timeout_ms": 15_000,
    "send_attempts": 3,
    "send_backoff_ms": 100,
}


@dataclass(frozen=True)
class Topics:
    """Input, output and dead-letter topics of one test."""

    input: str
    output: str
    dlq: str


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train a small model once per session and return its artifacts directory."""
    from training import train_artifacts

    out_dir = tmp_path_factory.mktemp("artifacts") / "model"
    return Path(train_artifacts(TRAINING_DATA, out_dir, epochs=2, seed=0))


@pytest.fixture(scope="session")
def predictor(artifacts_dir: Path) -> Any:
    """Return the real `model.Predictor` in the worker's default serving variant."""
    from model import Predictor

    variant = WorkerSettings.model_fields["model_variant"].default
    return Predictor.load(artifacts_dir, variant=variant)


@pytest.fixture
def make_topics(create_topic: Callable[..., str]) -> Callable[..., Topics]:
    """Return a factory of fresh input, output and dead-letter topics."""

    def make(
        partitions: int = 1, *, output_configs: dict[str, str] | None = None
    ) -> Topics:
        return Topics(
            input=create_topic("raw", partitions=partitions),
            output=create_topic("enriched", partitions=1, **(output_configs or {})),
            dlq=create_topic("dlq", partitions=1),
        )

    return make


@pytest.fixture
def make_settings(
    kafka_bootstrap: str, unique_name: Callable[[str], str], artifacts_dir: Path
) -> Callable[..., WorkerSettings]:
    """Return a factory of worker settings for ``topics``, with test timeouts."""

    def make(topics: Topics, **overrides: Any) -> WorkerSettings:
        values: dict[str, Any] = {
            "bootstrap_servers": kafka_bootstrap,
            "input_topic": topics.input,
            "output_topic": topics.output,
            "dlq_topic": topics.dlq,
            "group_id": unique_name("group"),
            "artifacts": artifacts_dir,
            **TEST_SETTINGS,
        }
        values.update(overrides)
        return WorkerSettings(**values)

    return make
