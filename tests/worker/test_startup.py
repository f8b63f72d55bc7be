"""Start-up failures: each stops the worker with a clear message before it joins."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient
from worker_harness import ROOT, free_port

from worker import StartupError, Worker, WorkerSettings, load_predictor


def _group_exists(admin: KafkaAdminClient, group_id: str) -> bool:
    return any(group["group_id"] == group_id for group in admin.list_groups())


@pytest.mark.kafka
@pytest.mark.parametrize(
    ("missing", "option"),
    [("input", "--input-topic"), ("output", "--output-topic"), ("dlq", "--dlq-topic")],
)
def test_missing_topic_stops_before_join(
    missing: str,
    option: str,
    kafka_admin: KafkaAdminClient,
    make_topics: Callable[..., Any],
    make_settings: Callable[..., Any],
    predictor: Any,
) -> None:
    topics = make_topics()
    absent = f"absent.{missing}.topic"
    settings = make_settings(topics).model_copy(update={f"{missing}_topic": absent})
    worker = Worker(settings, predictor=predictor)

    with pytest.raises(StartupError) as raised:
        worker.run()

    assert repr(absent) in str(raised.value)
    assert option in str(raised.value)
    assert not _group_exists(kafka_admin, settings.group_id)


def test_unreachable_broker_stops(predictor: Any) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = WorkerSettings(
        bootstrap_servers=address, startup_timeout_ms=1_000, metrics_port=0
    )

    with pytest.raises(StartupError) as raised:
        Worker(settings, predictor=predictor).run()

    assert address in str(raised.value)
    assert "--bootstrap-servers" in str(raised.value)


def test_metrics_port_in_use_stops(predictor: Any) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = WorkerSettings(metrics_port=port)

        with pytest.raises(StartupError) as raised:
            Worker(settings, predictor=predictor).run()

    assert f"127.0.0.1:{port}" in str(raised.value)


def test_unloadable_artifacts_stop(tmp_path: Path) -> None:
    settings = WorkerSettings(artifacts=tmp_path)

    with pytest.raises(StartupError) as raised:
        load_predictor(settings)

    assert str(tmp_path) in str(raised.value)
    assert "--artifacts" in str(raised.value)


def test_unknown_variant_stops(artifacts_dir: Path) -> None:
    settings = WorkerSettings(artifacts=artifacts_dir, model_variant="float8")

    with pytest.raises(StartupError) as raised:
        load_predictor(settings)

    assert "float8" in str(raised.value)


def test_command_exits_3_without_artifacts(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "worker",
            "--artifacts",
            str(tmp_path),
            "--metrics-port",
            "0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 3
    assert "Worker cannot start" in result.stderr
    assert str(tmp_path) in result.stderr
