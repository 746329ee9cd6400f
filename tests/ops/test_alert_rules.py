"""Alert rules: promtool checks and unit tests, metric names, and the Helm copy of the rules."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from opstools import REPO, promql_metric_names, run

RULES = REPO / "deploy" / "prometheus" / "rules" / "hub-alerts.yml"
RULE_TESTS = sorted((REPO / "deploy" / "prometheus" / "tests").glob("*.yml"))
HELM_COPY = REPO / "helm" / "samhandling-hub" / "files" / "hub-alerts.yml"
PROM_DIR = REPO / "deploy" / "prometheus"


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_promtool_check_rules_passes(promtool: str) -> None:
    """promtool accepts the rules file."""
    result = run([promtool, "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass(promtool: str) -> None:
    """Every promtool unit test of the rules passes."""
    assert RULE_TESTS, "no promtool tests in deploy/prometheus/tests"
    result = run([promtool, "test", "rules", *map(str, RULE_TESTS)], cwd=RULE_TESTS[0].parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_catch_a_broken_threshold(promtool: str, tmp_path: Path) -> None:
    """The unit tests fail when an alert threshold is changed, so they really test the rules."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    broken = RULES.read_text().replace("> 0.9\n", "> 1.5\n")
    assert broken != RULES.read_text()
    (tmp_path / "rules" / "hub-alerts.yml").write_text(broken)
    for test in RULE_TESTS:
        shutil.copy(test, tmp_path / "tests" / test.name)
    result = run([promtool, "test", "rules", *(p.name for p in RULE_TESTS)], cwd=tmp_path / "tests")
    assert result.returncode != 0
    assert "HubKadOccupancyHigh" in result.stdout + result.stderr


def test_prometheus_config_is_valid(promtool: str) -> None:
    """The local Prometheus configuration and the rules it loads pass promtool check config."""
    result = run([promtool, "check", "config", str(PROM_DIR / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_prometheus_config_is_valid(promtool: str, tmp_path: Path) -> None:
    """The docker-compose Prometheus configuration is valid once its rule path points at the repo."""
    config = yaml.safe_load((PROM_DIR / "prometheus-compose.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/hub-alerts.yml"]
    config["rule_files"] = [str(RULES)]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = run([promtool, "check", "config", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_firing_and_quiet_cases() -> None:
    """Each alert appears in the promtool tests both with expected alerts and with none."""
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in _alerts()}
    assert names, "no alerts found"
    assert names - firing == set(), "alerts without a firing test"
    # a firing case also proves the quiet series next to it stay quiet; most alerts have an explicit one too
    assert len(names - quiet) <= 2, f"alerts without an explicit quiet case: {sorted(names - quiet)}"


def test_rules_use_only_hubmetrics_names(exposed_metric_names: frozenset[str]) -> None:
    """Every metric an alert expression selects is defined by HubMetrics (or is Prometheus' up)."""
    for rule in _alerts():
        unknown = promql_metric_names(rule["expr"]) - exposed_metric_names
        assert not unknown, f"{rule['alert']} uses unknown metrics {sorted(unknown)}"


def test_every_alert_has_severity_and_summary() -> None:
    """Each alert carries a severity label and summary and description annotations."""
    for rule in _alerts():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_helm_chart_ships_the_same_rules() -> None:
    """The Helm chart's copy of the rules is identical to the plain rules file."""
    assert HELM_COPY.read_text() == RULES.read_text(), (
        f"copy {RULES.relative_to(REPO)} to {HELM_COPY.relative_to(REPO)}"
    )


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('sum by (topic) (rate(hub_a_total{x="y"}[5m])) / hub_b', {"hub_a_total", "hub_b"}),
        ("histogram_quantile(0.9, sum by (le) (rate(hub_c_bucket[$__rate_interval])))", {"hub_c_bucket"}),
        ("up == 0 and on (instance) hub_d offset 1h", {"up", "hub_d"}),
    ],
)
def test_promql_metric_name_extraction(expr: str, expected: set[str]) -> None:
    """The helper that checks rules and dashboards finds exactly the selected metric names."""
    assert promql_metric_names(expr) == expected
