#!/usr/bin/env bash
# Validates Phoenix's deployment files offline (npm run deploy:validate):
#   - the Helm chart k8s/helm/phoenix: `helm lint --strict` (values against values.schema.json), then
#     every manifest rendered with the default values, values-production.yaml, an every-option file
#     and the MCP fleet example (values-fleet.example.yaml), against the Kubernetes JSON schemas
#     (strict) and the KEDA and Strimzi CRD schemas, plus reference checks
#     (scripts/deploy/validate_manifests.py);
#   - known-bad values (scripts/deploy/known-bad/*.yaml): each must be refused, and the refusal must
#     name what its `# expect:` lines say (the offending field);
#   - files/topics.json against the catalogue (`npm run k8s:topics` regenerates it);
#   - docker-compose.yml, interpolated like `docker compose config`, against the Compose
#     Specification schema (scripts/deploy/validate_compose.py).
# Tools come from package registries, cached in ~/.cache/phoenix (scripts/deploy/install-tools.sh).
#
# Usage: scripts/validate-deploy.sh [-f values.yaml]... [--compose file.yml]... [--k8s-version 1.33.0]
#                                   [--skip-values-schema]
#        scripts/validate-deploy.sh --install-only
# With -f and/or --compose only those are validated (each -f on top of the chart's values.yaml);
# without, the defaults above. --skip-values-schema renders without values.schema.json, so the
# manifest checks see what the schema would have refused. Exit status 1 when anything is invalid.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CHART=k8s/helm/phoenix
K8S_VERSION="${PHOENIX_K8S_VERSION:-1.33.0}"
values_files=()
compose_files=()
install_only=false
skip_schema=()

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    -f|--values) [ $# -ge 2 ] || { usage >&2; exit 2; }; values_files+=("$2"); shift 2 ;;
    --compose) [ $# -ge 2 ] || { usage >&2; exit 2; }; compose_files+=("$2"); shift 2 ;;
    --k8s-version) [ $# -ge 2 ] || { usage >&2; exit 2; }; K8S_VERSION="$2"; shift 2 ;;
    --install-only) install_only=true; shift ;;
    --skip-values-schema) skip_schema=(--skip-schema-validation); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "validate-deploy: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=deploy/install-tools.sh
source "$ROOT/scripts/deploy/install-tools.sh"
if $install_only; then
  echo "deploy tools ready: helm $("$HELM" version --template '{{.Version}}'), $DEPLOY_PY, ${CRD_DIRS[*]}, $COMPOSE_SCHEMA"
  exit 0
fi

defaults=false
if [ ${#values_files[@]} -eq 0 ] && [ ${#compose_files[@]} -eq 0 ]; then
  defaults=true
  compose_files=(docker-compose.yml)
fi
for f in "${values_files[@]}" "${compose_files[@]}"; do
  [ -f "$f" ] || { echo "validate-deploy: no such file: $f" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=()
step() { printf '\n== %s\n' "$*"; }
fail() { failures+=("$1"); printf 'FAIL: %s\n' "$1"; }
# Helm prints a note for the chart's files/config symlink (the repository's config/); keep it quiet.
helm_q() { "$HELM" "$@" 2> >(grep -v 'found symbolic link in path' >&2); }

crd_args=()
for d in "${CRD_DIRS[@]}"; do crd_args+=(--crds "$d"); done

# One chart configuration: lint, render, validate every manifest.
check_chart() {
  local label="$1"; shift
  local out="$work/$(printf '%s' "$label" | tr -c 'A-Za-z0-9' '_').yaml"
  # helm lint checks values.schema.json whatever its flags say: without the schema, render only.
  if [ ${#skip_schema[@]} -eq 0 ]; then
    step "chart $CHART ($label): helm lint --strict"
    if ! helm_q lint --strict "$CHART" "$@" > "$work/lint.log" 2>&1; then
      cat "$work/lint.log"
      fail "helm lint ($label)"
      return
    fi
    grep -E '^\[(WARNING|ERROR)\]' "$work/lint.log" || true
  fi
  step "chart $CHART ($label): render and validate against Kubernetes $K8S_VERSION + KEDA $KEDA_VERSION + Strimzi $STRIMZI_VERSION CRDs"
  if ! helm_q template phoenix "$CHART" "${skip_schema[@]}" --namespace phoenix --kube-version "$K8S_VERSION" "$@" > "$out" 2> "$work/render.log"; then
    cat "$work/render.log"
    fail "helm template ($label)"
    return
  fi
  "$DEPLOY_PY" scripts/deploy/validate_manifests.py --k8s-version "$K8S_VERSION" "${crd_args[@]}" "$out" || fail "manifests ($label)"
}

if $defaults; then
  check_chart "default values"
  check_chart "values-production.yaml" -f "$CHART/values-production.yaml"
  # Every optional part on at once (ingest, Strimzi topics with an extra MCP server, KEDA, HPA, SASL).
  check_chart "all options" -f "$CHART/values-production.yaml" -f scripts/deploy/values-all-options.yaml
  # The MCP fleet: sidecar, service and external servers with their secrets.
  check_chart "values-fleet.example.yaml" -f "$CHART/values-production.yaml" -f "$CHART/values-fleet.example.yaml"

  # Known-bad values: refused (by values.schema.json or a template check), naming the field.
  step "chart $CHART: known-bad values are refused, naming the offending field"
  for bad in scripts/deploy/known-bad/*.yaml; do
    expects=()
    while IFS= read -r line; do expects+=("$line"); done < <(sed -n 's/^# expect: //p' "$bad")
    [ ${#expects[@]} -gt 0 ] || { fail "$bad has no '# expect:' line"; continue; }
    # lint checks the schema; a template's own `fail` only stops a render (lint reports it as INFO).
    if helm_q lint --strict "$CHART" -f "$bad" > "$work/bad.log" 2>&1 \
      && helm_q template phoenix "$CHART" --namespace phoenix -f "$bad" >> "$work/bad.log" 2>&1; then
      fail "$bad was accepted (helm lint and helm template passed)"
      continue
    fi
    missing=()
    for e in "${expects[@]}"; do grep -qF -- "$e" "$work/bad.log" || missing+=("$e"); done
    if [ ${#missing[@]} -gt 0 ]; then
      grep -E 'ERROR|Fail:' "$work/bad.log" | head -5 || true
      fail "$bad was refused without naming: ${missing[*]}"
    else
      # The schema's first complaint (its deepest lines name the field), or the template's failure.
      why="$(sed -n '/^\[ERROR\] values.yaml:/,/^$/p' "$work/bad.log" | grep -oE "at '[^']+'.*" | tail -1 || true)"
      [ -n "$why" ] || why="$(grep -m1 -oE 'execution error at .*' "$work/bad.log" | sed 's/^execution error at ([^)]*): //' || true)"
      printf 'ok: %s refused: %s\n' "$bad" "${why:0:160}"
    fi
  done

  step "chart $CHART: files/topics.json matches the topic catalogue"
  if [ -f dist/apps/cli/src/main.js ]; then
    if node dist/apps/cli/src/main.js topics export --format json --out "$work/topics.json" 2> "$work/export.log"; then
      if cmp -s "$work/topics.json" "$CHART/files/topics.json"; then
        echo "ok: $CHART/files/topics.json is up to date"
      else
        diff -u "$CHART/files/topics.json" "$work/topics.json" | head -40 || true
        fail "$CHART/files/topics.json is stale: run npm run k8s:topics"
      fi
    else
      cat "$work/export.log"; fail "phoenix topics export"
    fi
  else
    echo "skipped: dist/ is not built (npm run build)"
  fi
else
  for f in "${values_files[@]}"; do check_chart "$f" -f "$f"; done
fi

for f in "${compose_files[@]}"; do
  step "compose $f: interpolate and validate against the Compose Specification ($COMPOSE_GO_VERSION)"
  # PHOENIX_API_KEYS is required (${…:?}); give it a value as a .env file would.
  "$DEPLOY_PY" scripts/deploy/validate_compose.py --schema "$COMPOSE_SCHEMA" --env 'PHOENIX_API_KEYS=validate-only-0123456789=*' --env 'PHOENIX_SERVICE_KEY=validate-only-service-0123' "$f" || fail "compose $f"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "deploy validation FAILED: ${failures[*]}" >&2
  exit 1
fi
echo "deploy validation passed"
