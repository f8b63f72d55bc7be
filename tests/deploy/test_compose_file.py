"""docker-compose.yml: services, images, ports, volumes, profiles and start order."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from deploy_files import ROOT, Mount

KAFKA_IMAGE = "apache/kafka:4.1.1"  # the release that dev/kafka/pom.xml fetches
APP_SERVICES = ("trainer", "worker", "producer")
EXPECTED_SERVICES = {
    "kafka",
    "kafka-init",
    "trainer",
    "worker",
    "producer",
    "prometheus",
    "grafana",
}
WORKER_COMMAND = [
    "python",
    "-m",
    "worker",
    "--bootstrap-servers",
    "kafka:29092",
    "--artifacts",
    "/artifacts/default",
    "--metrics-host",
    "0.0.0.0",
    "--metrics-port",
    "9108",
]
PRODUCER_COMMAND = [
    "python",
    "-m",
    "worker.produce",
    "data/replay/fcc_complaints_replay.csv",
    "--bootstrap-servers",
    "kafka:29092",
    "--topic",
    "feedback.raw",
    "--id-column",
    "ticket_id",
    "--text-column",
    "text",
]
TRAINING_ARGUMENTS = "-m training --data data/Reviews.xlsx --out /artifacts/default"
HEADER_COMMANDS = (
    "docker compose up -d",
    "docker compose --profile replay run --rm producer",
    "docker compose up -d --scale worker=3",
)
# The worker's shutdown bound on SIGTERM: finish the batch, commit, leave the group.
WORKER_SHUTDOWN_S = 30


def _published_ports(service: dict[str, Any]) -> list[str]:
    return [str(entry) for entry in service.get("ports", [])]


def _duration_s(value: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
    assert match, f"unsupported compose duration {value!r}"
    return float(match.group(1)) * units[match.group(2)]


def test_compose_has_expected_services(services: dict[str, Any]) -> None:
    assert set(services) == EXPECTED_SERVICES


@pytest.mark.parametrize("name", ["kafka", "kafka-init"])
def test_kafka_services_keep_broker_image(services: dict[str, Any], name: str) -> None:
    assert services[name]["image"] == KAFKA_IMAGE


@pytest.mark.parametrize("name", ["kafka", "kafka-init", "prometheus", "grafana"])
def test_pulled_images_pin_version(services: dict[str, Any], name: str) -> None:
    repository, _, tag = services[name]["image"].partition(":")
    assert tag, f"{name}: image {repository} has no tag"
    assert tag != "latest", f"{name}: pin a release instead of 'latest'"
    assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), (
        f"{name}: tag {tag!r} is not a version"
    )


def test_monitoring_images_are_official(services: dict[str, Any]) -> None:
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_build_project_image(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    assert service["image"] == services["worker"]["image"]


def test_published_ports_bind_loopback(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for port in _published_ports(service):
            assert port.startswith("127.0.0.1:"), f"{name}: port {port} not on loopback"


@pytest.mark.parametrize(
    ("name", "port"),
    [
        ("kafka", "127.0.0.1:9092:9092"),
        ("prometheus", "127.0.0.1:9090:9090"),
        ("grafana", "127.0.0.1:3000:3000"),
    ],
)
def test_service_publishes_port(services: dict[str, Any], name: str, port: str) -> None:
    assert _published_ports(services[name]) == [port]


def test_worker_can_scale(services: dict[str, Any]) -> None:
    # A fixed host port or container name would make a second replica fail to start.
    worker = services["worker"]
    assert "ports" not in worker
    assert "container_name" not in worker
    assert "9108" in [str(port) for port in worker.get("expose", [])]


def test_worker_command(services: dict[str, Any]) -> None:
    assert services["worker"]["command"] == WORKER_COMMAND


def test_worker_waits_for_topics_and_model(services: dict[str, Any]) -> None:
    depends_on = services["worker"]["depends_on"]
    assert depends_on == {
        "kafka-init": {"condition": "service_completed_successfully"},
        "trainer": {"condition": "service_completed_successfully"},
    }


def test_worker_healthcheck_probes_readiness(services: dict[str, Any]) -> None:
    probe = " ".join(services["worker"]["healthcheck"]["test"])
    assert "http://127.0.0.1:9108/readyz" in probe


def test_worker_stop_grace_covers_shutdown(services: dict[str, Any]) -> None:
    grace = _duration_s(services["worker"]["stop_grace_period"])
    assert grace > WORKER_SHUTDOWN_S


def test_trainer_command_trains_default_model(services: dict[str, Any]) -> None:
    script = services["trainer"]["command"][0]
    assert f"python {TRAINING_ARGUMENTS}" in script
    assert "/artifacts/default/config.json" in script


def test_training_data_exists() -> None:
    data = TRAINING_ARGUMENTS.split("--data ")[1].split()[0]
    assert (ROOT / data).is_file(), f"the trainer reads {data}, which is missing"


def test_producer_is_replay_profile(services: dict[str, Any]) -> None:
    producer = services["producer"]
    assert producer["profiles"] == ["replay"]
    assert producer["command"] == PRODUCER_COMMAND
    assert producer["depends_on"] == {
        "kafka-init": {"condition": "service_completed_successfully"}
    }


def test_replay_file_exists(services: dict[str, Any]) -> None:
    assert (ROOT / services["producer"]["command"][3]).is_file()


def test_only_producer_has_profile(services: dict[str, Any]) -> None:
    # Every other service must start with a plain `docker compose up`.
    with_profiles = {
        name for name, service in services.items() if "profiles" in service
    }
    assert with_profiles == {"producer"}


def test_artifacts_volume_shared(mounts: dict[str, list[Mount]]) -> None:
    trainer = {m.target: m for m in mounts["trainer"] if m.source == "artifacts"}
    worker = {m.target: m for m in mounts["worker"] if m.source == "artifacts"}
    assert "/artifacts" in trainer
    assert not trainer["/artifacts"].read_only
    assert "/artifacts" in worker
    assert worker["/artifacts"].read_only


def test_named_volumes_declared(
    compose: dict[str, Any], mounts: dict[str, list[Mount]]
) -> None:
    declared = set(compose["volumes"])
    used = {m.source for entries in mounts.values() for m in entries if not m.is_bind}
    assert "artifacts" in declared
    assert used <= declared, f"undeclared named volumes: {used - declared}"


def test_bind_mount_sources_exist(mounts: dict[str, list[Mount]]) -> None:
    for name, entries in mounts.items():
        for mount in entries:
            if mount.is_bind:
                assert (ROOT / mount.source).exists(), f"{name}: {mount.source} missing"


def test_bind_mounts_read_only(mounts: dict[str, list[Mount]]) -> None:
    # Containers must not write into the working tree.
    for name, entries in mounts.items():
        for mount in entries:
            if mount.is_bind:
                assert mount.read_only, f"{name}: mount {mount.source} is writable"


def test_header_lists_commands() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    header_text = "\n".join(header)
    for command in HEADER_COMMANDS:
        assert command in header_text, f"header lacks `{command}`"


def _run_trainer_script(
    services: dict[str, Any], artifacts: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """Run the trainer's shell script with /artifacts moved and `python` stubbed."""
    script = services["trainer"]["command"][0].replace("/artifacts", str(artifacts))
    stub_dir = tmp_path / "bin"
    stub_dir.mkdir()
    stub = stub_dir / "python"
    stub.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/python-args"\n')
    stub.chmod(0o755)
    environment = {**os.environ, "PATH": f"{stub_dir}{os.pathsep}{os.environ['PATH']}"}
    shell = services["trainer"]["entrypoint"]
    return subprocess.run(
        [*shell, script], env=environment, capture_output=True, text=True, timeout=30
    )


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh")
def test_trainer_trains_without_model(services: dict[str, Any], tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    result = _run_trainer_script(services, artifacts, tmp_path)
    assert result.returncode == 0, result.stderr
    python_args = (tmp_path / "python-args").read_text().strip()
    assert python_args == TRAINING_ARGUMENTS.replace("/artifacts", str(artifacts))


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh")
def test_trainer_skips_existing_model(services: dict[str, Any], tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    (artifacts / "default").mkdir(parents=True)
    (artifacts / "default" / "config.json").write_text("{}")
    result = _run_trainer_script(services, artifacts, tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "python-args").exists()
    assert "skipping training" in result.stdout
