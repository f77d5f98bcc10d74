#!/usr/bin/env bash
# Installs what scripts/validate-deploy.sh needs, from package registries only, into
# ~/.cache/phoenix/tools (PHOENIX_TOOLS_DIR) and ~/.cache/phoenix/venv (PHOENIX_VENV). Idempotent:
# a second run only checks that everything is there.
#
#   helm                  go install helm.sh/helm/v3/cmd/helm@HELM_VERSION (Go module proxy)
#   Kubernetes schemas    PyPI kubernetes-validate (deploy/requirements.txt), with jsonschema + PyYAML
#   KEDA CRDs             Go module github.com/kedacore/keda/v2 (config/crd/bases)
#   Strimzi CRDs          Maven Central io.strimzi:api:<v>:jar:tests (crds/v1beta2: v1 and v1beta2)
#   Compose schema        Go module github.com/compose-spec/compose-go/v2 (schema/compose-spec.json)
#
# Sourced by validate-deploy.sh (it then has HELM, DEPLOY_PY, CRD_DIRS, COMPOSE_SCHEMA); run on its
# own to install and print the versions.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KEDA_VERSION="${KEDA_VERSION:-v2.21.0}"
STRIMZI_VERSION="${STRIMZI_VERSION:-0.51.0}"
COMPOSE_GO_VERSION="${COMPOSE_GO_VERSION:-v2.16.2}"

_deploy_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="${PHOENIX_TOOLS_DIR:-$HOME/.cache/phoenix/tools}"
VENV_DIR="${PHOENIX_VENV:-$HOME/.cache/phoenix/venv}"
GO="${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}"

_log() { printf '[deploy-tools] %s\n' "$*" >&2; }
_die() { printf '[deploy-tools] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/schemas"

# Go: module and build caches live under the tools dir too, so one folder holds everything.
_go() {
  [ -x "$GO" ] || _die "Go not found (looked for 'go' on PATH and /usr/local/go/bin/go); set GO=/path/to/go"
  env GOFLAGS=-mod=mod GOMODCACHE="$TOOLS_DIR/go/mod" GOCACHE="$TOOLS_DIR/go/build" GOBIN="$TOOLS_DIR/bin" GOTOOLCHAIN=local "$GO" "$@"
}

_check_goproxy() {
  local proxy
  proxy="$(_go env GOPROXY)"
  _log "Go module proxy: $proxy"
  # A cheap metadata request proves the proxy answers before a long build starts.
  _go list -m -json "helm.sh/helm/v3@$HELM_VERSION" >/dev/null 2>"$TOOLS_DIR/.goproxy.err" \
    || _die "the Go module proxy ($proxy) did not answer for helm.sh/helm/v3@$HELM_VERSION: $(tail -3 "$TOOLS_DIR/.goproxy.err")"
}

# Only one installer at a time (jest and a shell may both start one).
exec 9>"$TOOLS_DIR/.install.lock"
flock 9

HELM="$TOOLS_DIR/bin/helm"
if [ ! -x "$HELM" ] || [ "$("$HELM" version --template '{{.Version}}' 2>/dev/null)" != "$HELM_VERSION" ]; then
  _check_goproxy
  _log "building helm $HELM_VERSION with go install (first run only; a few minutes on 2 cores)…"
  _go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    || _die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed"
fi

_mod_dir() { # module@version → its directory in the module cache (downloaded on first use)
  local json dir
  json="$(_go mod download -json "$1")" || _die "go mod download $1 failed"
  dir="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -1)"
  [ -n "$dir" ] && [ -d "$dir" ] || _die "go mod download $1 gave no directory: $json"
  printf '%s' "$dir"
}

KEDA_CRDS="$TOOLS_DIR/schemas/crds/keda-$KEDA_VERSION"
if [ ! -f "$KEDA_CRDS/.complete" ]; then
  _log "KEDA $KEDA_VERSION CRDs from the Go module github.com/kedacore/keda/v2…"
  dir="$(_mod_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  rm -rf "$KEDA_CRDS" && mkdir -p "$KEDA_CRDS"
  for crd in keda.sh_scaledobjects.yaml keda.sh_triggerauthentications.yaml keda.sh_scaledjobs.yaml keda.sh_clustertriggerauthentications.yaml; do
    cp "$dir/config/crd/bases/$crd" "$KEDA_CRDS/" || _die "$crd is not in github.com/kedacore/keda/v2@$KEDA_VERSION"
  done
  chmod u+w "$KEDA_CRDS"/*.yaml
  touch "$KEDA_CRDS/.complete"
fi

COMPOSE_SCHEMA="$TOOLS_DIR/schemas/compose-spec-$COMPOSE_GO_VERSION.json"
if [ ! -f "$COMPOSE_SCHEMA" ]; then
  _log "Compose Specification schema from the Go module github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION…"
  dir="$(_mod_dir "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION")"
  cp "$dir/schema/compose-spec.json" "$COMPOSE_SCHEMA.tmp" && chmod u+w "$COMPOSE_SCHEMA.tmp" && mv "$COMPOSE_SCHEMA.tmp" "$COMPOSE_SCHEMA"
fi

# Python: the venv the test suite also uses; deploy/requirements.txt is stamped separately.
PY="$VENV_DIR/bin/python"
[ -x "$PY" ] || python3 -m venv "$VENV_DIR" || _die "python3 -m venv $VENV_DIR failed"
stamp="$VENV_DIR/.phoenix-deploy-requirements"
want="$(sha256sum "$_deploy_root/deploy/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! "$PY" -c 'import kubernetes_validate, jsonschema, yaml, referencing, importlib_resources' 2>/dev/null; then
  _log "pip install -r deploy/requirements.txt into $VENV_DIR…"
  "$PY" -m pip install -q --disable-pip-version-check -r "$_deploy_root/deploy/requirements.txt" || _die "pip install -r deploy/requirements.txt failed"
  printf '%s' "$want" > "$stamp"
fi
DEPLOY_PY="$PY"

STRIMZI_CRDS="$TOOLS_DIR/schemas/crds/strimzi-$STRIMZI_VERSION"
if [ ! -f "$STRIMZI_CRDS/.complete" ]; then
  _log "Strimzi $STRIMZI_VERSION CRDs from Maven Central (io.strimzi:api:$STRIMZI_VERSION:jar:tests)…"
  command -v mvn >/dev/null 2>&1 || _die "mvn (Maven) is needed to fetch io.strimzi:api from Maven Central"
  jar_dir="$TOOLS_DIR/downloads"
  mkdir -p "$jar_dir"
  jar="$jar_dir/api-$STRIMZI_VERSION-tests.jar"
  if [ ! -f "$jar" ]; then
    mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="io.strimzi:api:$STRIMZI_VERSION:jar:tests" -DoutputDirectory="$jar_dir" -Dmdep.overWriteReleases=true >&2 \
      || _die "could not fetch io.strimzi:api:$STRIMZI_VERSION:jar:tests from Maven Central"
  fi
  rm -rf "$STRIMZI_CRDS" && mkdir -p "$STRIMZI_CRDS"
  # crds/v1beta2 holds the CRDs as installed (served versions v1 and v1beta2).
  "$PY" - "$jar" "$STRIMZI_CRDS" <<'PYEOF' || _die "the Strimzi jar has no crds/v1beta2/*-Crd-kafka*.yaml"
import sys, zipfile, os
jar, out = sys.argv[1], sys.argv[2]
wanted = ("040-Crd-kafka.yaml", "043-Crd-kafkatopic.yaml", "044-Crd-kafkauser.yaml", "045-Crd-kafkanodepool.yaml")
with zipfile.ZipFile(jar) as z:
    found = 0
    for name in wanted:
        data = z.read(f"crds/v1beta2/{name}")
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        found += 1
sys.exit(0 if found == len(wanted) else 1)
PYEOF
  touch "$STRIMZI_CRDS/.complete"
fi

CRD_DIRS=("$KEDA_CRDS" "$STRIMZI_CRDS")

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "helm:            $HELM ($("$HELM" version --template '{{.Version}} {{.GoVersion}}'))"
  echo "python:          $DEPLOY_PY ($("$DEPLOY_PY" -c 'import jsonschema, kubernetes_validate.version as v; from importlib.metadata import version; print("jsonschema", version("jsonschema"), "kubernetes-validate", version("kubernetes-validate"))'))"
  echo "KEDA CRDs:       $KEDA_CRDS"
  echo "Strimzi CRDs:    $STRIMZI_CRDS"
  echo "Compose schema:  $COMPOSE_SCHEMA"
fi
# Release the lock for whoever sourced this file.
exec 9>&-
