"""deploy/prometheus/prometheus.yml and how compose runs Prometheus."""

from __future__ import annotations

from typing import Any

from deploy_files import DEPLOY, Mount, host_path_for

JOB_NAME = "feedback-worker"
WORKER_METRICS_PORT = 9108


def _jobs(prometheus_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in prometheus_config["scrape_configs"]}


def _flag(arguments: list[str], name: str) -> str:
    for argument in arguments:
        if argument.startswith(f"{name}="):
            return argument.partition("=")[2]
    raise AssertionError(f"flag {name} not found in {arguments}")


def test_config_has_worker_job(prometheus_config: dict[str, Any]) -> None:
    assert list(_jobs(prometheus_config)) == [JOB_NAME]


def test_job_scrapes_metrics_path(prometheus_config: dict[str, Any]) -> None:
    assert _jobs(prometheus_config)[JOB_NAME]["metrics_path"] == "/metrics"


def test_job_discovers_every_worker_replica(prometheus_config: dict[str, Any]) -> None:
    job = _jobs(prometheus_config)[JOB_NAME]
    assert "static_configs" not in job
    assert len(job["dns_sd_configs"]) == 1
    sd_config = job["dns_sd_configs"][0]
    assert sd_config["names"] == ["worker"]
    assert sd_config["type"] == "A"
    assert sd_config["port"] == WORKER_METRICS_PORT


def test_discovered_name_is_compose_service(
    prometheus_config: dict[str, Any], services: dict[str, Any]
) -> None:
    for sd_config in _jobs(prometheus_config)[JOB_NAME]["dns_sd_configs"]:
        for name in sd_config["names"]:
            assert name in services, f"{name} is not a compose service"


def test_target_port_is_worker_metrics_port(
    prometheus_config: dict[str, Any], services: dict[str, Any]
) -> None:
    command = services["worker"]["command"]
    metrics_port = int(command[command.index("--metrics-port") + 1])
    port = _jobs(prometheus_config)[JOB_NAME]["dns_sd_configs"][0]["port"]
    assert port == metrics_port


def test_worker_metrics_listen_on_all_interfaces(services: dict[str, Any]) -> None:
    # The worker binds 127.0.0.1 by default, which Prometheus in another container
    # cannot reach.
    command = services["worker"]["command"]
    assert command[command.index("--metrics-host") + 1] == "0.0.0.0"


def test_compose_mounts_this_config(
    services: dict[str, Any], mounts: dict[str, list[Mount]]
) -> None:
    config_file = _flag(services["prometheus"]["command"], "--config.file")
    host_path = host_path_for(mounts["prometheus"], config_file)
    assert host_path is not None, f"nothing is mounted at {config_file}"
    assert host_path.resolve() == (DEPLOY / "prometheus" / "prometheus.yml").resolve()


def test_tsdb_on_named_volume(
    services: dict[str, Any], mounts: dict[str, list[Mount]]
) -> None:
    storage = _flag(services["prometheus"]["command"], "--storage.tsdb.path")
    named = {m.target: m.source for m in mounts["prometheus"] if not m.is_bind}
    assert storage in named


def test_scrape_interval_matches_grafana(
    prometheus_config: dict[str, Any], datasources: list[dict[str, Any]]
) -> None:
    # Grafana derives $__rate_interval from the data source's timeInterval, taken as
    # the scrape interval. A value below the real one can give rate() windows with
    # fewer than two samples, which come out empty.
    scrape_interval = prometheus_config["global"]["scrape_interval"]
    assert datasources[0]["jsonData"]["timeInterval"] == scrape_interval
