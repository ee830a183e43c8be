#!/usr/bin/env bash
# Checks charts/careloop offline: helm lint, helm template (default and every examples/*.yaml values
# file), and kubeconform -strict of every rendered manifest against the Kubernetes schemas (PyPI
# kubernetes-validate) and the KEDA / Prometheus operator CRD schemas in charts/careloop/ci/schemas.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
KUBE_VALIDATE_VERSION=1.37.0
KUBE_VERSION="${KUBE_VERSION:-1.33.0}"
tools="$root/.stack/tools"
chart="$root/charts/careloop"
out="${CHART_RENDER_DIR:-$root/dist/chart}"

usage() {
  cat <<USAGE
Usage: scripts/check-chart.sh [--install-only | --render-only]
  Installs, once, into .stack/tools/: helm $HELM_VERSION and kubeconform $KUBECONFORM_VERSION (go install,
  a few minutes the first time), kubernetes-validate $KUBE_VALIDATE_VERSION (pip --target; its Kubernetes
  JSON schemas, made loadable offline in .stack/tools/k8s-schemas/). Then: helm lint; helm template
  for the default values and each charts/careloop/examples/*.yaml into dist/chart/<name>.yaml
  (and <name>.json); and
  kubeconform -strict on all of them (Kubernetes v$KUBE_VERSION, KEDA, ServiceMonitor).
  --install-only   only the installs (the chart test calls this)
  --render-only    lint and render, no kubeconform
  env KUBE_VERSION (default 1.33.0), CHART_RENDER_DIR (default dist/chart)
USAGE
}
mode="${1:-}"
case "$mode" in --help|-h) usage; exit 0 ;; ""|--install-only|--render-only) ;; *) usage >&2; exit 2 ;; esac

say() { echo "check-chart: $*" >&2; }

install_go_tool() { # name module version
  if [ -x "$tools/bin/$1" ]; then return; fi
  say "installing $1 $3 with go install (first time only; helm takes about 2-3 minutes on 2 cores) ..."
  local started; started=$(date +%s)
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "$2@$3" >&2
  say "$1 installed in $(( $(date +%s) - started ))s"
}

install_schemas() {
  local src="$tools/k8s-validate/kubernetes_validate/kubernetes-json-schema/v$KUBE_VERSION-local-strict"
  local dst="$tools/k8s-schemas/v$KUBE_VERSION-local-strict"
  if [ ! -d "$src" ]; then
    say "installing kubernetes-validate $KUBE_VALIDATE_VERSION (Kubernetes JSON schemas) with pip ..."
    python3 -m pip install -q --disable-pip-version-check --target "$tools/k8s-validate" "kubernetes-validate==$KUBE_VALIDATE_VERSION" >&2 2>/dev/null \
      || python3 -m pip install -q --disable-pip-version-check --target "$tools/k8s-validate" "kubernetes-validate==$KUBE_VALIDATE_VERSION" >&2
  fi
  [ -d "$src" ] || { say "no schemas for Kubernetes v$KUBE_VERSION in kubernetes-validate"; exit 1; }
  if [ ! -f "$dst/.done" ]; then
    say "making the v$KUBE_VERSION schemas loadable offline (their \$id and \$refs point at kubernetes.io) ..."
    mkdir -p "$dst"
    python3 - "$src" "$dst" <<'PY'
import json, os, sys
src, dst = sys.argv[1:]
for name in os.listdir(src):
    if not name.endswith('.json'):
        continue
    with open(os.path.join(src, name), encoding='utf-8') as f:
        schema = json.load(f)
    schema.pop('$id', None)
    text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
    with open(os.path.join(dst, name), 'w', encoding='utf-8') as f:
        f.write(text)
PY
    touch "$dst/.done"
  fi
}

mkdir -p "$tools/bin"
command -v go >/dev/null || { say "go is needed (the Go toolchain) to install helm and kubeconform"; exit 1; }
install_go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
install_schemas
[ "$mode" = "--install-only" ] && { say "tools ready in $tools"; exit 0; }

helm="$tools/bin/helm"
kubeconform="$tools/bin/kubeconform"
say "helm lint"
"$helm" lint "$chart" --kube-version "$KUBE_VERSION" >&2
mkdir -p "$out"
rendered=()
render() { # name [values file]
  local file="$out/$1.yaml"
  say "helm template $1${2:+ (-f ${2#"$root"/})} -> ${file#"$root"/}"
  "$helm" template careloop "$chart" --namespace careloop --kube-version "$KUBE_VERSION" ${2:+-f "$2"} > "$file"
  rendered+=("$file")
  # A JSON copy (a list of objects) for tests that assert on the rendered manifests.
  PYTHONPATH="$tools/k8s-validate" python3 -c 'import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d], open(sys.argv[2], "w"))' "$file" "${file%.yaml}.json"
}
render default
for values in "$chart"/examples/*.yaml; do
  [ -e "$values" ] && render "$(basename "$values" .yaml)" "$values"
done
[ "$mode" = "--render-only" ] && exit 0
say "kubeconform -strict (Kubernetes v$KUBE_VERSION, KEDA, ServiceMonitor) on ${#rendered[@]} renders"
"$kubeconform" -strict -summary -output text \
  -schema-location "$tools/k8s-schemas/v$KUBE_VERSION-local-strict/{{.ResourceKind}}{{.KindSuffix}}.json" \
  -schema-location "$chart/ci/schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json" \
  "${rendered[@]}"
say "ok"
