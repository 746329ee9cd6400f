"""Grafana dashboards and provisioning: structure, metric names from HubMetrics, valid PromQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from opstools import REPO, promql_metric_names, run

GRAFANA = REPO / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
_LABEL_VALUES = re.compile(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,")
_GRAFANA_VARS = {"$__rate_interval": "5m", "$__range": "1d", "$__interval": "1m"}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in _panels(dashboard) for t in p["targets"]]


def _as_plain_promql(expr: str) -> str:
    for var, value in _GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return re.sub(r"\$[A-Za-z_]+", ".*", expr)


def test_there_are_operations_and_samhandling_dashboards() -> None:
    """Both dashboards exist with distinct uids."""
    uids = {_load(p)["uid"] for p in DASHBOARDS}
    assert uids == {"samhandling-hub-operations", "samhandling-hub-samhandling"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_structure(path: Path) -> None:
    """Panels have unique ids, fit the 24-column grid and each has at least one PromQL target."""
    dashboard = _load(path)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    for panel in _panels(dashboard):
        assert panel["targets"], panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_uses_only_hubmetrics_names(path: Path, exposed_metric_names: frozenset[str]) -> None:
    """Every metric a panel or template variable queries is defined by HubMetrics (or is up)."""
    dashboard = _load(path)
    for expr in _exprs(dashboard):
        unknown = promql_metric_names(expr) - exposed_metric_names
        assert not unknown, f"{path.name}: {expr} uses unknown metrics {sorted(unknown)}"
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            names = set(_LABEL_VALUES.findall(query))
            assert names, query
            assert names <= exposed_metric_names, f"{path.name}: variable {variable['name']}: {query}"


def test_every_hub_metric_is_shown_somewhere(exposed_metric_names: frozenset[str]) -> None:
    """Each metric family of HubMetrics appears on at least one dashboard."""
    used: set[str] = set()
    for path in DASHBOARDS:
        for expr in _exprs(_load(path)):
            used |= promql_metric_names(expr)

    def family(name: str) -> str:
        return re.sub(r"_(total|bucket|count|sum|created)$", "", name)

    defined = {family(n) for n in exposed_metric_names if not n.endswith("_created")} - {"up"}
    assert defined - {family(n) for n in used} == set()


def test_dashboard_promql_is_valid(promtool: str, tmp_path: Path) -> None:
    """promtool accepts every dashboard expression (Grafana variables substituted) as a recording rule."""
    rules = [
        {"record": f"dashboard:expr_{i}", "expr": _as_plain_promql(expr)}
        for i, expr in enumerate(e for path in DASHBOARDS for e in _exprs(_load(path)))
    ]
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run([promtool, "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promql_check_catches_a_broken_expression(promtool: str, tmp_path: Path) -> None:
    """The PromQL check really fails on a malformed expression."""
    path = tmp_path / "broken.rules.yml"
    rule = {"record": "dashboard:broken", "expr": "sum by (topic (rate(hub_messages_consumed_total[5m]))"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [rule]}]}))
    assert run([promtool, "check", "rules", str(path)]).returncode != 0


def test_provisioning_points_at_the_dashboards_and_prometheus() -> None:
    """The dashboard provider reads the path compose mounts, and the data source is the compose Prometheus."""
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "samhandling-hub.yml").read_text())
    (entry,) = provider["providers"]
    assert entry["options"]["path"] == "/var/lib/grafana/dashboards"
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
