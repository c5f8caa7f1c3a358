"""deploy/: Prometheus config and alert rules (promtool), docker-compose, and dashboards/alerts vs /metrics."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from nivesh_ml.config import Settings
from nivesh_ml.monitoring.state import write_drift_state
from nivesh_ml.serving.app import create_app

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DOCS = Path(__file__).resolve().parents[2] / "docs"
PROMETHEUS = DEPLOY / "prometheus"
METRIC = re.compile(r"\bnivesh_[a-z0-9_]+")
COMPOSE_ENV = {"NIVESH_API_KEYS": "client-key", "NIVESH_ADMIN_API_KEY": "admin-key",
               "POSTGRES_PASSWORD": "pw", "GRAFANA_ADMIN_PASSWORD": "pw"}


def tool(name: str) -> str:
    """A required command-line tool (installed by `make services`); skipped outside CI when missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed: run `make services`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(*args: str, cwd: Path = PROMETHEUS, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def alert_names() -> list[str]:
    return re.findall(r"^\s+- alert: (\w+)", (PROMETHEUS / "alerts.yml").read_text(), flags=re.M)


def dashboard_exprs() -> list[str]:
    exprs = []
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [t["expr"] for t in panel["targets"]]
    return exprs


def test_prometheus_config_and_rules_are_valid() -> None:
    promtool = tool("promtool")
    assert "SUCCESS" in run(promtool, "check", "config", "prometheus.yml")
    assert "8 rules found" in run(promtool, "check", "rules", "alerts.yml")


def test_every_alert_fires_in_its_promtool_unit_test() -> None:
    output = run(tool("promtool"), "test", "rules", "alerts_test.yml")
    assert "SUCCESS" in output
    tests = (PROMETHEUS / "alerts_test.yml").read_text()
    for name in alert_names():
        assert re.search(rf"alertname: {name}\n\s+exp_alerts:\n\s+- exp_labels", tests), f"{name} never fires"


def test_every_alert_has_a_runbook_playbook() -> None:
    runbook = (DOCS / "runbook.md").read_text()
    for name in alert_names():
        assert f"### {name}" in runbook, f"docs/runbook.md has no playbook for {name}"


def test_compose_file_is_valid_and_requires_secrets() -> None:
    compose = tool("docker-compose")
    run(compose, "-f", "docker-compose.yml", "config", "-q", cwd=DEPLOY, env=COMPOSE_ENV)
    rendered = run(compose, "-f", "docker-compose.yml", "config", cwd=DEPLOY, env=COMPOSE_ENV)
    for service in ("model-server", "redis", "mlflow", "prometheus", "grafana", "airflow"):
        assert f"  {service}:" in rendered
    assert rendered.count("healthcheck:") >= 6
    missing = subprocess.run([compose, "-f", "docker-compose.yml", "config", "-q"], cwd=DEPLOY, text=True,
                             capture_output=True, env={k: v for k, v in os.environ.items()
                                                       if k not in COMPOSE_ENV}, check=False)
    assert missing.returncode != 0 and "NIVESH_API_KEYS" in missing.stderr


def test_dashboards_are_provisioned_with_the_prometheus_datasource() -> None:
    datasource = (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert "uid: prometheus" in datasource
    titles = set()
    for path in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        board = json.loads(path.read_text())
        titles.add(board["title"])
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "prometheus" and panel["targets"], panel["title"]
    assert titles == {"nivesh-ml / service", "nivesh-ml / models"}


def exported_names(exposition: str) -> set[str]:
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ())
        names.update(family.name + s for s in suffixes)
    return names


def test_every_metric_in_dashboards_and_alerts_is_exported(settings: Settings) -> None:
    write_drift_state(settings, "credit", {"drift_share": 0.25})
    with TestClient(create_app(settings)) as client:
        for path in ("/health", "/ready", "/models", "/nope"):
            client.get(path)
        client.post("/transactions", json={"user_id": "u1", "transactions": [
            {"timestamp": "2025-01-05", "amount": 250.0, "merchant": "Swiggy", "category": "food"}]})
        exposition = client.get("/metrics").text
    exported = exported_names(exposition)
    referenced = set(METRIC.findall((PROMETHEUS / "alerts.yml").read_text()))
    referenced |= {m for expr in dashboard_exprs() for m in METRIC.findall(expr)}
    assert referenced, "no nivesh_ metric referenced"
    assert referenced <= exported, sorted(referenced - exported)
    assert 'nivesh_drift_share{model="credit"} 0.25' in exposition
    assert 'nivesh_http_requests_total{method="GET",route="/health",status="200"}' in exposition
