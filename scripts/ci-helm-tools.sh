#!/usr/bin/env bash
# Install helm and kubeconform from the Go module proxy and generate kubeconform's schemas offline.
#
# Idempotent: each step is skipped when its result is already there. CI runs it before pytest;
# developers run the same script. Needs Go (>= 1.24; /usr/local/go/bin is searched too) and Python.
#
#   bash scripts/ci-helm-tools.sh            # install tools (if missing) + schemas (if missing)
#
# Schemas: kubeconform would download them from GitHub, which these machines cannot reach. The
# Kubernetes OpenAPI spec ships in the k8s.io/kubernetes Go module (api/openapi-spec/swagger.json)
# and the PodMonitor/ServiceMonitor/PrometheusRule CRDs in the prometheus-operator Go module;
# scripts/k8s_schemas.py turns both into standalone strict JSON schemas in kubeconform's layout
# under $HUB_K8S_SCHEMA_DIR (default .cache/k8s-schemas), so `kubeconform -strict` validates core
# kinds and the monitoring CRDs without network and without -ignore-missing-schemas.
#
# Measured on this project's machine (2 CPUs, empty Go module and build caches): helm 4m13s on an
# idle machine, 10m09s while other builds and tests ran; kubeconform 8-23s; schemas 3-15s
# (21 MB + 4 MB module zips). A second run skips everything in well under a second.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
K8S_VERSION="${K8S_VERSION:-1.37.2}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
schema_dir="${HUB_K8S_SCHEMA_DIR:-$repo/.cache/k8s-schemas}"

if command -v go >/dev/null 2>&1; then
  go=go
elif [ -x /usr/local/go/bin/go ]; then
  go=/usr/local/go/bin/go
else
  echo "ci-helm-tools: Go is not installed (needed to build helm and kubeconform)" >&2
  exit 1
fi
gobin="$("$go" env GOBIN)"
[ -n "$gobin" ] || gobin="$("$go" env GOPATH | cut -d: -f1)/bin"

have() { command -v "$1" >/dev/null 2>&1 || [ -x "$gobin/$1" ]; }

# go install / go mod download must not pick up a go.mod of the current directory
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

if have helm; then
  echo "ci-helm-tools: helm present, skipping"
else
  echo "ci-helm-tools: go install helm $HELM_VERSION"
  start=$(date +%s)
  "$go" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "ci-helm-tools: helm built in $(( $(date +%s) - start ))s"
fi

if have kubeconform; then
  echo "ci-helm-tools: kubeconform present, skipping"
else
  echo "ci-helm-tools: go install kubeconform $KUBECONFORM_VERSION"
  start=$(date +%s)
  "$go" install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  echo "ci-helm-tools: kubeconform built in $(( $(date +%s) - start ))s"
fi

marker="$schema_dir/v$K8S_VERSION-standalone-strict/podmonitor-monitoring-v1.json"
if [ -f "$marker" ]; then
  echo "ci-helm-tools: schemas present in $schema_dir, skipping"
else
  start=$(date +%s)
  module_dir() { "$go" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'; }
  k8s_dir="$(module_dir "k8s.io/kubernetes@v$K8S_VERSION")"
  operator_dir="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  crds="$operator_dir/example/prometheus-operator-crd"
  if [ -x "$repo/.venv/bin/python" ]; then python="$repo/.venv/bin/python"; else python=python3; fi
  "$python" "$repo/scripts/k8s_schemas.py" \
    --swagger "$k8s_dir/api/openapi-spec/swagger.json" \
    --crd "$crds/monitoring.coreos.com_podmonitors.yaml" \
    --crd "$crds/monitoring.coreos.com_servicemonitors.yaml" \
    --crd "$crds/monitoring.coreos.com_prometheusrules.yaml" \
    --out "$schema_dir" --k8s-version "$K8S_VERSION"
  echo "ci-helm-tools: schemas generated in $(( $(date +%s) - start ))s"
fi
echo "ci-helm-tools: helm=$(command -v helm || echo "$gobin/helm") kubeconform=$(command -v kubeconform || echo "$gobin/kubeconform")"
