"""Fixtures that load the deployment files: compose, Dockerfile, Prometheus, Grafana.

These tests need no Docker engine. They read the files as data and check them against
each other and against pyproject.toml, so a renamed path, port or metric fails here
rather than in a deployment.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
from deploy_files import (
    DEPLOY,
    GRAFANA_PROVISIONING,
    ROOT,
    Instruction,
    Mount,
    load_yaml,
    parse_dockerfile,
    parse_mount,
)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_yaml(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="session")
def mounts(services: dict[str, dict[str, Any]]) -> dict[str, list[Mount]]:
    """Return the parsed volume entries of every compose service, by service name."""
    return {
        name: [parse_mount(entry) for entry in service.get("volumes", [])]
        for name, service in services.items()
    }


@pytest.fixture(scope="session")
def prometheus_config() -> dict[str, Any]:
    return load_yaml(DEPLOY / "prometheus" / "prometheus.yml")


@pytest.fixture(scope="session")
def datasources() -> list[dict[str, Any]]:
    return load_yaml(GRAFANA_PROVISIONING / "datasources" / "prometheus.yml")[
        "datasources"
    ]


@pytest.fixture(scope="session")
def dashboard_providers() -> list[dict[str, Any]]:
    return load_yaml(GRAFANA_PROVISIONING / "dashboards" / "feedback-worker.yml")[
        "providers"
    ]


@pytest.fixture(scope="session")
def dashboard() -> dict[str, Any]:
    path = DEPLOY / "grafana" / "dashboards" / "feedback-worker.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        pytest.fail(f"{path.relative_to(ROOT)} is not valid JSON: {exc}")


@pytest.fixture(scope="session")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
