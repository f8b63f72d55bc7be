"""Grafana's provisioning files and the compose mounts that make them visible."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from deploy_files import DEPLOY, GRAFANA_PROVISIONING, Mount, host_path_for, load_yaml

DASHBOARD_FILE = DEPLOY / "grafana" / "dashboards" / "feedback-worker.json"
PROVISIONING_TARGET = "/etc/grafana/provisioning"


def test_provisioning_files_use_api_version_1() -> None:
    files = sorted(GRAFANA_PROVISIONING.rglob("*.yml"))
    assert files
    for path in files:
        assert load_yaml(path)["apiVersion"] == 1, path.name


def test_single_default_prometheus_datasource(
    datasources: list[dict[str, Any]],
) -> None:
    assert len(datasources) == 1
    datasource = datasources[0]
    assert datasource["type"] == "prometheus"
    assert datasource["uid"] == "prometheus"
    assert datasource["isDefault"] is True
    assert datasource["access"] == "proxy"


def test_datasource_url_reaches_prometheus_service(
    datasources: list[dict[str, Any]], services: dict[str, Any]
) -> None:
    # Grafana's back end makes the requests (access: proxy), inside the compose
    # network, so the host is the service name and the port the container port.
    url = urlsplit(datasources[0]["url"])
    assert url.hostname == "prometheus"
    assert url.hostname in services
    container_ports = {
        str(port).rsplit(":", 1)[-1] for port in services["prometheus"]["ports"]
    }
    assert str(url.port) in container_ports


def test_compose_mounts_provisioning(mounts: dict[str, list[Mount]]) -> None:
    host_path = host_path_for(mounts["grafana"], PROVISIONING_TARGET)
    assert host_path is not None, f"nothing is mounted at {PROVISIONING_TARGET}"
    assert host_path.resolve() == GRAFANA_PROVISIONING.resolve()


def test_dashboard_provider_reads_files(
    dashboard_providers: list[dict[str, Any]],
) -> None:
    assert len(dashboard_providers) == 1
    provider = dashboard_providers[0]
    assert provider["type"] == "file"
    assert provider["allowUiUpdates"] is False


def test_provider_path_contains_dashboard(
    dashboard_providers: list[dict[str, Any]], mounts: dict[str, list[Mount]]
) -> None:
    container_path = dashboard_providers[0]["options"]["path"]
    host_path = host_path_for(mounts["grafana"], container_path)
    assert host_path is not None, f"nothing is mounted at {container_path}"
    assert (host_path / DASHBOARD_FILE.name).resolve() == DASHBOARD_FILE.resolve()
    assert DASHBOARD_FILE.is_file()


def test_home_dashboard_is_provisioned_file(
    services: dict[str, Any], mounts: dict[str, list[Mount]]
) -> None:
    environment = services["grafana"]["environment"]
    home = environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    host_path = host_path_for(mounts["grafana"], home)
    assert host_path is not None, f"nothing is mounted at {home}"
    assert host_path.resolve() == DASHBOARD_FILE.resolve()


def test_anonymous_users_only_view(services: dict[str, Any]) -> None:
    environment = services["grafana"]["environment"]
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert environment["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


def test_grafana_telemetry_disabled(services: dict[str, Any]) -> None:
    environment = services["grafana"]["environment"]
    assert environment["GF_ANALYTICS_REPORTING_ENABLED"] == "false"
    assert environment["GF_ANALYTICS_CHECK_FOR_UPDATES"] == "false"
    assert environment["GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES"] == "false"
