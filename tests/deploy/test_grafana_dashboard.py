"""deploy/grafana/dashboards/feedback-worker.json: panels, queries and metric names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from worker.metrics import WorkerMetrics

# Every metric the worker exposes, with its Prometheus type. The dashboard may query
# nothing else. An info metric is exposed as a gauge with the `_info` suffix.
WORKER_METRICS = {
    "feedback_worker_records_consumed_total": "counter",
    "feedback_worker_records_produced_total": "counter",
    "feedback_worker_records_dead_lettered_total": "counter",
    "feedback_worker_batch_size_records": "histogram",
    "feedback_worker_inference_duration_seconds": "histogram",
    "feedback_worker_end_to_end_latency_seconds": "histogram",
    "feedback_worker_consumer_lag_records": "gauge",
    "feedback_worker_predictions_total": "counter",
    "feedback_worker_confidence": "histogram",
    "feedback_worker_low_confidence_total": "counter",
    "feedback_worker_commit_failures_total": "counter",
    "feedback_worker_send_failures_total": "counter",
    "feedback_worker_model_info": "info",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
METRIC_NAME = re.compile(r"feedback_worker_[a-z_]+")
INSTANCE_FILTER = 'instance=~"$instance"'
EXPECTED_PANELS = {
    "Throughput",
    "End-to-end latency",
    "Consumer lag per partition",
    "Batch size",
    "Inference duration per batch",
    "Category mix",
    "Sentiment mix",
    "Low-confidence rate",
    "Dead-lettered records by reason",
    "Commit and send failures",
    "Model version",
}
GRID_COLUMNS = 24


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every panel, including those nested in collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _expressions(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (panel title, PromQL expression) for every query of the dashboard."""
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def _base_name(name: str) -> str:
    """Map a series name such as `x_bucket` to the metric name `x`."""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in WORKER_METRICS:
            return name[: -len(suffix)]
    return name


def _metrics_in(expression: str) -> set[str]:
    return {_base_name(name) for name in METRIC_NAME.findall(expression)}


def _exposed_metrics() -> dict[str, str]:
    """Return the name and type of each metric that `WorkerMetrics` registers."""
    registry = CollectorRegistry()
    WorkerMetrics(registry).set_model(
        model_version="0" * 12,
        variant="float32",
        category_labels=["Billing"],
        sentiment_labels=["Positive"],
    )
    # prometheus_client names a counter's family without `_total` and an info
    # metric's family without `_info`. The exposed series carry the suffix.
    suffixes = {"counter": "_total", "info": "_info"}
    return {
        family.name + suffixes.get(family.type, ""): family.type
        for family in registry.collect()
    }


def test_metric_list_matches_worker() -> None:
    assert _exposed_metrics() == WORKER_METRICS


def test_dashboard_identity(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "feedback-worker"
    assert dashboard["title"] == "Feedback worker"
    assert dashboard["editable"] is False


def test_dashboard_has_expected_panels(dashboard: dict[str, Any]) -> None:
    titles = {panel["title"] for panel in _panels(dashboard)}
    missing = EXPECTED_PANELS - titles
    assert not missing, f"panels missing: {sorted(missing)}"


def test_panel_ids_unique(dashboard: dict[str, Any]) -> None:
    ids = [panel["id"] for panel in _panels(dashboard)]
    assert len(ids) == len(set(ids))


def test_panels_fit_grid_without_overlap(dashboard: dict[str, Any]) -> None:
    occupied: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= GRID_COLUMNS, f"{panel['title']} is too wide"
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                other = occupied.setdefault((x, y), panel["title"])
                assert other == panel["title"], f"{panel['title']} overlaps {other}"


@pytest.mark.parametrize("kind", ["()", "{}", "[]"])
def test_expressions_balance_brackets(dashboard: dict[str, Any], kind: str) -> None:
    opening, closing = kind
    for title, expression in _expressions(dashboard):
        depth = 0
        for character in expression:
            depth += (character == opening) - (character == closing)
            assert depth >= 0, f"{title}: unbalanced {kind} in {expression}"
        assert depth == 0, f"{title}: unbalanced {kind} in {expression}"


def test_dashboard_queries_known_metrics(dashboard: dict[str, Any]) -> None:
    for title, expression in _expressions(dashboard):
        unknown = _metrics_in(expression) - set(WORKER_METRICS)
        assert not unknown, f"{title}: the worker exposes no {sorted(unknown)}"


def test_dashboard_shows_every_metric(dashboard: dict[str, Any]) -> None:
    queried = set()
    for _, expression in _expressions(dashboard):
        queried |= _metrics_in(expression)
    missing = set(WORKER_METRICS) - queried
    assert not missing, f"no panel shows {sorted(missing)}"


def test_counters_queried_as_rates(dashboard: dict[str, Any]) -> None:
    # A raw counter only grows, and it restarts from zero with the worker, so only its
    # rate is meaningful.
    for title, expression in _expressions(dashboard):
        counters = {
            m for m in _metrics_in(expression) if WORKER_METRICS.get(m) == "counter"
        }
        if counters:
            assert re.search(r"\b(rate|increase)\(", expression), (
                f"{title}: counters {sorted(counters)} queried without rate()"
            )


def test_histograms_queried_by_series(dashboard: dict[str, Any]) -> None:
    # A histogram has no series under its bare name, only _bucket, _count and _sum.
    for title, expression in _expressions(dashboard):
        for name in METRIC_NAME.findall(expression):
            if WORKER_METRICS.get(name) == "histogram":
                pytest.fail(f"{title}: {name} has no series; query {name}_bucket")
            if name.endswith("_bucket"):
                assert "histogram_quantile(" in expression, (
                    f"{title}: {name} outside histogram_quantile()"
                )


def test_latency_panel_shows_quantiles(dashboard: dict[str, Any]) -> None:
    panel = next(p for p in _panels(dashboard) if p["title"] == "End-to-end latency")
    quantiles = set()
    for target in panel["targets"]:
        match = re.match(r"histogram_quantile\((0\.\d+),", target["expr"])
        assert match, f"not a quantile query: {target['expr']}"
        assert "feedback_worker_end_to_end_latency_seconds_bucket" in target["expr"]
        quantiles.add(match.group(1))
    assert quantiles == {"0.5", "0.95", "0.99"}


def test_worker_queries_follow_instance_variable(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "instance" in variables
    for title, expression in _expressions(dashboard):
        if METRIC_NAME.search(expression):
            selectors = re.findall(r"feedback_worker_[a-z_]+(\{[^}]*\})?", expression)
            for selector in selectors:
                assert INSTANCE_FILTER in selector, (
                    f"{title}: a selector in {expression} ignores $instance"
                )


def test_up_query_names_scrape_job(
    dashboard: dict[str, Any], prometheus_config: dict[str, Any]
) -> None:
    jobs = {job["job_name"] for job in prometheus_config["scrape_configs"]}
    for title, expression in _expressions(dashboard):
        for job in re.findall(r'up\{job="([^"]+)"\}', expression):
            assert job in jobs, f"{title}: Prometheus scrapes no job {job!r}"


def test_queries_use_provisioned_datasource(
    dashboard: dict[str, Any], datasources: list[dict[str, Any]]
) -> None:
    expected = {"type": "prometheus", "uid": datasources[0]["uid"]}
    for variable in dashboard["templating"]["list"]:
        assert variable["datasource"] == expected, variable["name"]
    for panel in _panels(dashboard):
        assert panel["datasource"] == expected, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"] == expected, panel["title"]
