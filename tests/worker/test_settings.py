"""Settings from the environment and the command line, and their validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from worker_harness import ROOT

from worker import SettingsError, WorkerSettings
from worker.cli import parse_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("WORKER_"):
            monkeypatch.delenv(name)


def test_defaults_point_at_localhost() -> None:
    settings = WorkerSettings()

    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.metrics_host == "127.0.0.1"
    assert settings.input_topic == "feedback.raw"
    assert settings.output_topic == "feedback.enriched"
    assert settings.dlq_topic == "feedback.dlq"
    assert settings.group_id == "feedback-worker"
    assert settings.artifacts == Path("artifacts/default")
    assert settings.model_variant == "onnx"
    assert settings.inference_threads == 1
    assert settings.metrics_port == 9108
    assert settings.low_confidence_threshold == 0.6
    assert settings.stop_at_end is False
    assert settings.from_timestamp is None


def test_settings_frozen() -> None:
    settings = WorkerSettings()

    with pytest.raises(ValidationError):
        settings.max_batch_size = 3  # type: ignore[misc]


def test_flag_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_MAX_BATCH_SIZE", "8")
    monkeypatch.setenv("WORKER_GROUP_ID", "from-env")

    settings = parse_settings(["--max-batch-size", "32", "--stop-at-end"])

    assert settings.max_batch_size == 32
    assert settings.group_id == "from-env"
    assert settings.stop_at_end is True


@pytest.mark.parametrize(
    ("argv", "source"),
    [
        (["--max-batch-size", "0"], "--max-batch-size"),
        (["--metrics-port", "70000"], "--metrics-port"),
        (["--low-confidence-threshold", "1.5"], "--low-confidence-threshold"),
        (["--input-topic", "bad topic"], "--input-topic"),
        (["--bootstrap-servers", "127.0.0.1"], "--bootstrap-servers"),
        (["--from-timestamp", "2024-05-01T00:00:00"], "--from-timestamp"),
        (["--from-timestamp", "yesterday"], "--from-timestamp"),
    ],
)
def test_invalid_flag_named(argv: list[str], source: str) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings(argv)

    assert source in str(raised.value)
    assert repr(argv[1]) in str(raised.value)


def test_invalid_environment_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_MAX_BATCH_WAIT_MS", "soon")

    with pytest.raises(SettingsError) as raised:
        parse_settings([])

    assert "WORKER_MAX_BATCH_WAIT_MS" in str(raised.value)


def test_from_timestamp_with_offset() -> None:
    settings = parse_settings(["--from-timestamp", "2024-05-01T02:00:00+02:00"])

    assert settings.from_timestamp is not None
    assert settings.from_timestamp.timestamp() == 1_714_521_600


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"output_topic": "feedback.raw"}, "three different topics"),
        ({"heartbeat_interval_ms": 6000, "session_timeout_ms": 6000}, "heartbeat"),
        ({"security_protocol": "SASL_SSL"}, "sasl_mechanism"),
        ({"sasl_mechanism": "PLAIN"}, "SASL_PLAINTEXT or SASL_SSL"),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"},
            "WORKER_SASL_PLAIN_PASSWORD",
        ),
        ({"ssl_cafile": "/nonexistent/ca.pem"}, "not found"),
    ],
)
def test_inconsistent_settings_rejected(
    values: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        WorkerSettings(**values)

    assert fragment in str(raised.value)


def test_password_only_in_client_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("WORKER_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("WORKER_SASL_PLAIN_USERNAME", "svc-worker")
    monkeypatch.setenv("WORKER_SASL_PLAIN_PASSWORD", "s3cret-value")

    settings = parse_settings([])
    configs = settings.kafka_client_configs()

    assert configs["sasl_plain_password"] == "s3cret-value"
    assert configs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert configs["security_protocol"] == "SASL_SSL"
    assert "s3cret-value" not in settings.summary()
    assert "s3cret-value" not in repr(settings)
    assert "sasl_plain_password=***" in settings.summary()


def test_security_settings_have_no_flag() -> None:
    with pytest.raises(SystemExit):
        parse_settings(["--sasl-plain-password", "x"])


def test_summary_is_key_value() -> None:
    summary = WorkerSettings().summary()

    assert "bootstrap_servers=127.0.0.1:9092" in summary
    assert "from_timestamp=-" in summary
    assert all("=" in pair for pair in summary.split(" "))


def _run_command(
    *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "worker", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_command_help_lists_units_and_defaults() -> None:
    result = _run_command("--help")

    assert result.returncode == 0
    for fragment in (
        "--max-batch-wait-ms",
        "in ms",
        "Default: 9108",
        "WORKER_GROUP_ID",
    ):
        assert fragment in result.stdout


def test_command_invalid_setting_exits_2() -> None:
    result = _run_command("--max-batch-size", "0", env={"WORKER_METRICS_PORT": "x"})

    assert result.returncode == 2
    assert "--max-batch-size" in result.stderr
    assert "WORKER_METRICS_PORT" in result.stderr
