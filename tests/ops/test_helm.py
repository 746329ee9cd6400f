"""Helm chart: helm lint, helm template | kubeconform -strict, and what the rendered objects promise."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from opstools import REPO, find_tool, run

CHART = REPO / "helm" / "samhandling-hub"
CI_VALUES = CHART / "ci" / "test-values.yaml"
K8S_VERSION = "1.37.2"
SCHEMAS = Path(os.environ.get("HUB_K8S_SCHEMA_DIR", REPO / ".cache" / "k8s-schemas"))


PRODUCTION = (
    "--set", "secrets.pseudonymKeys.k1=abc",
    "--set", "settings.pseudonymActiveKeyId=k1",
    "--set", "tls.secretName=hub-tls",
    "--set-string", "settings.extraEnv.HUB_AUTH__CONNECTORS=true",
)  # fmt: skip
"""The least a production deployment sets: a pseudonym key, listener TLS, sender authentication."""
CONNECTORS = ("hl7", "fhir", "plo", "ambulance", "kpr")


def _template(helm: str, *args: str) -> Any:
    return run([helm, "template", "hub", str(CHART), "--kube-version", K8S_VERSION, *args])


def _objects(helm: str, *args: str) -> list[dict[str, Any]]:
    result = _template(helm, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _without(args: tuple[str, ...], name: str) -> list[str]:
    """``args`` without the ``--set``/``--set-string`` of ``name``."""
    pairs = [args[i : i + 2] for i in range(0, len(args), 2)]
    return [part for flag, value in pairs if not value.startswith(f"{name}=") for part in (flag, value)]


@pytest.fixture(scope="module")
def rendered_text() -> str:
    """The chart rendered with the CI values (every optional object switched on)."""
    helm = find_tool("helm", "scripts/ci-helm-tools.sh")
    result = _template(helm, "-f", str(CI_VALUES))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def objects(rendered_text: str) -> list[dict[str, Any]]:
    """The rendered objects, parsed."""
    return [doc for doc in yaml.safe_load_all(rendered_text) if doc]


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    """kubeconform schemas generated offline by scripts/ci-helm-tools.sh (generated here if missing)."""
    marker = SCHEMAS / f"v{K8S_VERSION}-standalone-strict" / "statefulset-apps-v1.json"
    if not marker.exists():
        if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
            find_tool("go", "the Go toolchain installer")  # skips locally, fails under CI=true
        result = run(["bash", str(REPO / "scripts" / "ci-helm-tools.sh")])
        assert result.returncode == 0, result.stdout + result.stderr
    assert marker.exists(), f"no kubeconform schemas in {SCHEMAS}"
    return SCHEMAS


def _kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def _containers(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    workloads = _kind(objects, "Deployment") + _kind(objects, "StatefulSet")
    return [c for w in workloads for c in w["spec"]["template"]["spec"]["containers"]]


def test_helm_lint_passes(helm: str) -> None:
    """helm lint --strict accepts the chart with the CI values."""
    result = run([helm, "lint", "--strict", str(CHART), "-f", str(CI_VALUES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_chart_passes_kubeconform_strict(
    kubeconform: str, schema_dir: Path, rendered_text: str
) -> None:
    """Every rendered object, CRDs included, validates strictly against the offline schemas."""
    args = [kubeconform, "-strict", "-summary", "-kubernetes-version", K8S_VERSION]
    result = run([*args, "-schema-location", str(schema_dir), "-"], stdin=rendered_text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in result.stdout, result.stdout


def test_kubeconform_rejects_an_unknown_field(kubeconform: str, schema_dir: Path) -> None:
    """A misspelt field fails validation, so the strict schemas are really applied."""
    manifest = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: [{port: 2575, protcol: TCP}]\n"
    )
    args = [kubeconform, "-strict", "-kubernetes-version", K8S_VERSION, "-schema-location", str(schema_dir)]
    result = run([*args, "-"], stdin=manifest)
    assert result.returncode != 0
    assert "protcol" in result.stdout + result.stderr


@pytest.mark.parametrize("env", ["dev", "production"])
def test_rendering_without_pseudonym_keys_fails(helm: str, env: str) -> None:
    """Without pseudonym keys (and no existing Secret) the chart refuses to render, in development too."""
    result = _template(
        helm, *_without(PRODUCTION, "secrets.pseudonymKeys.k1"), "--set", f"settings.env={env}"
    )
    assert result.returncode != 0
    assert "secrets.pseudonymKeys is required" in result.stderr


def test_existing_secret_replaces_the_generated_one(helm: str) -> None:
    """With existingSecret the chart creates no Secret and every container reads the named one."""
    objects = _objects(
        helm, *_without(PRODUCTION, "secrets.pseudonymKeys.k1"), "--set", "secrets.existingSecret=hub-prod"
    )
    assert _kind(objects, "Secret") == []
    for container in _containers(objects):
        refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
        assert refs == {"hub-prod"}


def test_worker_is_a_statefulset_with_a_rocksdb_volume(objects: list[dict[str, Any]]) -> None:
    """Workers run as a StatefulSet whose volume claim template is mounted at HUB_DATA_DIR."""
    (worker,) = _kind(objects, "StatefulSet")
    (claim,) = worker["spec"]["volumeClaimTemplates"]
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["worker"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    (config,) = _kind(objects, "ConfigMap")
    assert mounts[claim["metadata"]["name"]] == config["data"]["HUB_DATA_DIR"]


def test_each_connector_has_deployment_and_service(objects: list[dict[str, Any]]) -> None:
    """hl7, fhir, plo, ambulance and kpr each get a Deployment and a Service; hl7 listens on 2575."""
    deployments = {d["metadata"]["name"].rsplit("-", 1)[-1] for d in _kind(objects, "Deployment")}
    assert deployments == {"hl7", "fhir", "plo", "ambulance", "kpr"}
    services = {s["metadata"]["name"].rsplit("-", 1)[-1]: s for s in _kind(objects, "Service")}
    assert set(services) == deployments | {"worker"}
    hl7_ports = {p["name"]: p["port"] for p in services["hl7"]["spec"]["ports"]}
    assert hl7_ports == {"mllp": 2575, "web": 6066}


def test_containers_are_non_root_read_only_with_probes(objects: list[dict[str, Any]]) -> None:
    """Every container is non-root, read-only, has resources and probes /healthz and /readyz on 6066."""
    containers = _containers(objects)
    assert len(containers) == 6
    for container in containers:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["runAsNonRoot"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert container["resources"]["requests"]
        https = {"port": "web", "scheme": "HTTPS"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", **https}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", **https}
        web = [p for p in container["ports"] if p["name"] == "web"]
        assert web == [{"name": "web", "containerPort": 6066, "protocol": "TCP"}]


def test_secret_holds_keys_sasl_and_registry_but_configmap_does_not(objects: list[dict[str, Any]]) -> None:
    """Pseudonym keys, SASL credentials and the registry URL are in the Secret, never in the ConfigMap."""
    (secret,) = _kind(objects, "Secret")
    (config,) = _kind(objects, "ConfigMap")
    assert yaml.safe_load(secret["stringData"]["HUB_PSEUDONYM__KEYS"]) == {"k2026": "test-only-not-a-secret"}
    for key in ("HUB_KAFKA__SASL_PASSWORD", "HUB_REGISTRY__URL", "kafka-ca.crt"):
        assert key in secret["stringData"]
        assert key not in config["data"]
    assert config["data"]["HUB_PSEUDONYM__ACTIVE_KEY_ID"] == "k2026"
    assert "test-only" not in yaml.safe_dump(config)


def test_prometheus_rule_matches_plain_rules_file(objects: list[dict[str, Any]]) -> None:
    """The PrometheusRule carries exactly the groups of deploy/prometheus/rules/hub-alerts.yml."""
    (rule,) = _kind(objects, "PrometheusRule")
    plain = yaml.safe_load((REPO / "deploy" / "prometheus" / "rules" / "hub-alerts.yml").read_text())
    assert rule["spec"] == plain


def test_pod_monitor_sets_job_and_component_labels(objects: list[dict[str, Any]]) -> None:
    """The PodMonitor scrapes port web and sets job=samhandling-hub and component, as the alerts expect."""
    (monitor,) = _kind(objects, "PodMonitor")
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "web"
    targets = {r["targetLabel"]: r for r in endpoint["relabelings"]}
    assert targets["job"]["replacement"] == "samhandling-hub"
    assert "component" in targets


def test_network_policies_cover_every_workload(objects: list[dict[str, Any]]) -> None:
    """Each workload has a NetworkPolicy restricting both ingress and egress."""
    policies = _kind(objects, "NetworkPolicy")
    components = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in policies}
    assert components == {"worker", "hl7", "fhir", "plo", "ambulance", "kpr"}
    assert all(p["spec"]["policyTypes"] == ["Ingress", "Egress"] for p in policies)


def test_minimal_values_render_valid_objects(helm: str, kubeconform: str, schema_dir: Path) -> None:
    """With only what production requires (a pseudonym key, listener TLS, sender authentication), the chart
    renders objects that pass kubeconform -strict."""
    result = _template(helm, *PRODUCTION)
    assert result.returncode == 0, result.stderr
    args = [kubeconform, "-strict", "-summary", "-kubernetes-version", K8S_VERSION]
    checked = run([*args, "-schema-location", str(schema_dir), "-"], stdin=result.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    kinds = {doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc}
    assert "PodMonitor" not in kinds
    assert {"StatefulSet", "Deployment", "Service", "Secret", "ConfigMap", "NetworkPolicy"} <= kinds


def test_active_key_must_be_one_of_the_keys(helm: str) -> None:
    """An active pseudonym key id that is not among the keys is refused at render time."""
    result = _template(helm, *PRODUCTION, "--set", "settings.pseudonymActiveKeyId=k2")
    assert result.returncode != 0
    assert "pseudonymActiveKeyId must be one of the keys" in result.stderr


def test_production_without_listener_tls_fails(helm: str) -> None:
    """settings.env=production (the default) without tls.secretName or tls.allowPlaintext does not render:
    the hub would refuse to start every pod (hub.tls.listener_context)."""
    result = _template(helm, *_without(PRODUCTION, "tls.secretName"))
    assert result.returncode != 0
    assert "tls.secretName is required outside development" in result.stderr


def test_development_renders_without_tls_or_sender_authentication(helm: str) -> None:
    """settings.env=dev needs only a pseudonym key; HUB_ENV=dev reaches every process, plain HTTP probes."""
    objects = _objects(
        helm, "--set", "secrets.pseudonymKeys.k1=abc", "--set", "settings.pseudonymActiveKeyId=k1",
        "--set", "settings.env=dev", "--set", "secrets.apiTokens.ops=" + "t" * 40,
    )  # fmt: skip
    (config,) = _kind(objects, "ConfigMap")
    assert config["data"]["HUB_ENV"] == "dev"
    assert not [key for key in config["data"] if key.startswith("HUB_TLS__")]
    for container in _containers(objects):
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "web"}


def test_production_env_is_explicit_in_the_configmap(helm: str) -> None:
    """HUB_ENV=production and the TLS files of the Secret are set for every process; an unknown env fails."""
    objects = _objects(helm, *PRODUCTION)
    (config,) = _kind(objects, "ConfigMap")
    assert config["data"]["HUB_ENV"] == "production"
    assert config["data"]["HUB_TLS__CERT_FILE"] == "/etc/hub/tls/tls.crt"
    assert config["data"]["HUB_TLS__KEY_FILE"] == "/etc/hub/tls/tls.key"
    assert "HUB_TLS__CLIENT_CA_FILE" not in config["data"]
    result = _template(helm, *PRODUCTION, "--set", "settings.env=staging")
    assert result.returncode != 0
    assert "settings.env must be dev or production" in result.stderr


def test_every_container_mounts_the_listener_tls_secret(objects: list[dict[str, Any]]) -> None:
    """tls.secretName is mounted read-only at /etc/hub/tls in every pod (the files HUB_TLS__* name)."""
    workloads = _kind(objects, "Deployment") + _kind(objects, "StatefulSet")
    assert len(workloads) == 6
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "tls"]
        assert volume["secret"]["secretName"] == "hub-tls"
        assert {i["key"] for i in volume["secret"]["items"]} == {"tls.crt", "tls.key"}
        (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "tls"]
        assert mount == {"name": "tls", "mountPath": "/etc/hub/tls", "readOnly": True}


def test_scrapes_use_https_with_listener_tls(objects: list[dict[str, Any]]) -> None:
    """With listener TLS the PodMonitor and ServiceMonitor scrape https with metrics.tlsConfig."""
    (pod_monitor,) = _kind(objects, "PodMonitor")
    (service_monitor,) = _kind(objects, "ServiceMonitor")
    for endpoint in [*pod_monitor["spec"]["podMetricsEndpoints"], *service_monitor["spec"]["endpoints"]]:
        assert endpoint["scheme"] == "https"
        assert endpoint["tlsConfig"]["serverName"] == "samhandling-hub"


def test_mutual_tls_on_the_listeners(helm: str, kubeconform: str, schema_dir: Path) -> None:
    """tls.clientCa: HUB_TLS__CLIENT_CA_FILE from the Secret's ca.crt, and TCP probes (the kubelet has no
    client certificate); it is sender authentication enough for the connectors. Valid for kubeconform."""
    args = (*_without(PRODUCTION, "settings.extraEnv.HUB_AUTH__CONNECTORS"), "--set", "tls.clientCa=true")
    result = _template(helm, *args)
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    (config,) = _kind(objects, "ConfigMap")
    assert config["data"]["HUB_TLS__CLIENT_CA_FILE"] == "/etc/hub/tls/ca.crt"
    for workload in _kind(objects, "Deployment") + _kind(objects, "StatefulSet"):
        pod = workload["spec"]["template"]["spec"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "tls"]
        assert "ca.crt" in {i["key"] for i in volume["secret"]["items"]}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert pod["containers"][0][probe]["tcpSocket"] == {"port": "web"}
    kube = [kubeconform, "-strict", "-summary", "-kubernetes-version", K8S_VERSION]
    checked = run([*kube, "-schema-location", str(schema_dir), "-"], stdin=result.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    without_secret = _template(helm, *_without(args, "tls.secretName"), "--set", "tls.allowPlaintext=true")
    assert without_secret.returncode != 0
    assert "tls.clientCa needs tls.secretName" in without_secret.stderr


def test_plaintext_only_when_allowed_explicitly(helm: str) -> None:
    """tls.allowPlaintext (TLS terminated by a mesh in front of the hub) renders HUB_TLS__ALLOW_PLAINTEXT."""
    args = (*_without(PRODUCTION, "tls.secretName"), "--set", "tls.allowPlaintext=true")
    (config,) = _kind(_objects(helm, *args), "ConfigMap")
    assert config["data"]["HUB_TLS__ALLOW_PLAINTEXT"] == "true"
    assert "HUB_TLS__CERT_FILE" not in config["data"]


@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("--set-string", "settings.extraEnv.HUB_AUTH__CONNECTORS=false"),
    ],
    ids=["nothing", "tokens off"],
)
def test_connectors_without_sender_authentication_fail_outside_dev(helm: str, extra: tuple[str, ...]) -> None:
    """Production connectors need tls.clientCa, HUB_AUTH__CONNECTORS or HUB_AUTH__ANONYMOUS_SENDERS."""
    result = _template(helm, *_without(PRODUCTION, "settings.extraEnv.HUB_AUTH__CONNECTORS"), *extra)
    assert result.returncode != 0
    assert "need sender authentication outside development" in result.stderr
    assert "fhir" in result.stderr


def test_sender_authentication_choices_render(helm: str) -> None:
    """An explicit anonymous-senders choice renders; so does a worker-only release without connectors."""
    base = _without(PRODUCTION, "settings.extraEnv.HUB_AUTH__CONNECTORS")
    _objects(helm, *base, "--set-string", "settings.extraEnv.HUB_AUTH__ANONYMOUS_SENDERS=true")
    off = [arg for name in CONNECTORS for arg in ("--set", f"connectors.{name}.enabled=false")]
    objects = _objects(helm, *base, *off)
    assert _kind(objects, "Deployment") == []
    assert len(_kind(objects, "StatefulSet")) == 1


def test_public_development_key_refused_outside_dev(helm: str) -> None:
    """The public development pseudonym key (hub.settings.DEV_PSEUDONYM_KEY) does not render in production."""
    from hub.settings import DEV_PSEUDONYM_KEY

    result = _template(helm, *PRODUCTION, "--set", f"secrets.pseudonymKeys.k1={DEV_PSEUDONYM_KEY}")
    assert result.returncode != 0
    assert "secrets.pseudonymKeys.k1 is the public development key" in result.stderr


def test_static_api_tokens_refused_outside_dev(helm: str) -> None:
    """Static bearer tokens are development only: the chart refuses them in production, as the hub does."""
    result = _template(helm, *PRODUCTION, "--set", "secrets.apiTokens.ops=" + "t" * 40)
    assert result.returncode != 0
    assert "secrets.apiTokens (static bearer tokens) are for development only" in result.stderr


def test_kafka_client_certificate_is_mounted(objects: list[dict[str, Any]]) -> None:
    """kafkaTls.clientCertificate: the Secret's kafka-client.crt/.key are mounted and named by
    HUB_KAFKA__SSL_CERTFILE/__SSL_KEYFILE in every container (mutual TLS to the brokers)."""
    (secret,) = _kind(objects, "Secret")
    assert {"kafka-client.crt", "kafka-client.key"} <= set(secret["stringData"])
    for container in _containers(objects):
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["HUB_KAFKA__SSL_CERTFILE"] == "/etc/hub/kafka-tls/kafka-client.crt"
        assert env["HUB_KAFKA__SSL_KEYFILE"] == "/etc/hub/kafka-tls/kafka-client.key"
