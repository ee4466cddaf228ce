#!/usr/bin/env bash
# tests/deploy/kubernetes_test.sh SOURCE_DIR GATEWAY_BINARY
#
# Checks deploy/kubernetes/:
#   1. kubernetes_check.js: every manifest against the Kubernetes schemas
#      (kubernetes-models; kubernetes-types through the TypeScript compiler
#      for unknown fields), and the deployment policy (see that file);
#   2. `backup-gateway --check-config` on the gateway YAML of the ConfigMap,
#      with the TLS paths moved to dummy files and, for each environment
#      variable the Deployment sets, a dummy value of the right shape, in an
#      otherwise empty environment (so a ${NAME} the Deployment does not set
#      fails here as it would in the pod);
#   3. `kubectl kustomize` on the directory, when kubectl is installed.
#
# The npm packages (tests/deploy/package.json, exact versions in
# package-lock.json) are installed with `npm ci` into a cache outside the
# source tree, one folder per lock file, reused by later runs:
#   ${BG_DEPLOY_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backup-gateway/deploy-tests}
#
# Exit 0: all good; 1: a check failed; 77: skipped (no node or npm; ctest
# shows it as skipped, tests/deploy/CMakeLists.txt sets SKIP_RETURN_CODE).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR GATEWAY_BINARY" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
gateway=$2
here="$src/tests/deploy"
manifests="$src/deploy/kubernetes"
SKIP=77

if ! command -v node >/dev/null; then
  echo "SKIP: node is not installed (apt-get install nodejs npm; scripts/install-deps installs nodejs)" >&2
  exit $SKIP
fi
[ -x "$gateway" ] || { echo "FAIL: gateway binary $gateway not found or not executable" >&2; exit 1; }

# --- the npm packages, cached by the lock file's digest -----------------------
lock_digest=$(sha256sum "$here/package-lock.json" | cut -c1-16)
cache_root=${BG_DEPLOY_NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/backup-gateway/deploy-tests}
cache="$cache_root/$lock_digest"
mkdir -p "$cache_root"
if [ ! -f "$cache/.complete" ]; then
  if ! command -v npm >/dev/null; then
    echo "SKIP: npm is not installed and $cache is empty (apt-get install npm)" >&2
    exit $SKIP
  fi
  # One installer at a time (ctest -j, the release and asan runs); it installs
  # into a fresh folder renamed into place only when complete, so an
  # interrupted install is never taken for a good one.
  exec 9>"$cache_root/.lock"
  flock 9
  if [ ! -f "$cache/.complete" ]; then
    echo "installing the npm packages of tests/deploy/package-lock.json into $cache" >&2
    staging=$(mktemp -d "$cache_root/.staging.XXXXXX")
    cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$staging/"
    # --ignore-scripts: none of these packages needs an install script.
    # Short fetch timeouts: an unreachable registry fails in seconds, not minutes.
    if ! (cd "$staging" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
            --fetch-timeout=30000 --fetch-retries=1 >&2); then
      rm -rf "$staging"
      echo "FAIL: npm ci for tests/deploy/package-lock.json failed (is the npm registry reachable?)" >&2
      exit 1
    fi
    touch "$staging/.complete"
    rm -rf "$cache"
    mv "$staging" "$cache"
  fi
  exec 9>&-
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. schemas and policy ----------------------------------------------------
status=0
echo "== schemas and policy (kubernetes_check.js)"
NODE_PATH="$cache/node_modules" node "$here/kubernetes_check.js" "$manifests" "$work" "$cache/node_modules" || status=1

# --- 2. the gateway's own check of its YAML -----------------------------------
echo "== backup-gateway --check-config on the ConfigMap's gateway.yaml"
if [ ! -f "$work/gateway.yaml" ] || [ ! -f "$work/env" ]; then
  echo "FAIL: kubernetes_check.js did not extract the gateway's YAML from the ConfigMap" >&2
  status=1
else
  # A throw-away self-signed pair where the Secret would be mounted.
  mkdir -p "$work/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=backup-gateway.test -keyout "$work/tls/tls.key" -out "$work/tls/tls.crt" 2>/dev/null
  # Only what the Deployment sets (and PATH): no variable of this shell can
  # make up for one the pod would lack.
  env_args=()
  while IFS= read -r line; do
    [ -n "$line" ] && env_args+=("$line")
  done < "$work/env"
  if env -i PATH="$PATH" "${env_args[@]}" "$gateway" --check-config "$work/gateway.yaml" >"$work/check.out" 2>&1; then
    echo "ok   the ConfigMap's gateway.yaml passes backup-gateway --check-config"
  else
    # The gateway names the extracted file and its line: name the manifest
    # and the line there instead (kubernetes_check.js wrote where the block starts).
    if [ -f "$work/origin" ]; then
      read -r manifest header < "$work/origin"
      awk -v f="$work/gateway.yaml:" -v m="${manifest#"$src"/}" -v h="$header" '
        index($0, f) == 1 { rest = substr($0, length(f) + 1); n = rest + 0; sub(/^[0-9]+/, "", rest); print m ":" n + h rest; next }
        { print }' "$work/check.out" >&2
    else
      cat "$work/check.out" >&2
    fi
    echo "FAIL: backup-gateway --check-config rejects the ConfigMap's gateway.yaml (above)" >&2
    status=1
  fi
fi

# --- 3. kustomize, when kubectl is there (it is not a Debian package) ---------
if command -v kubectl >/dev/null; then
  echo "== kubectl kustomize deploy/kubernetes"
  if out=$(kubectl kustomize "$manifests" 2>&1); then
    echo "ok   kubectl kustomize builds $(grep -c '^kind:' <<<"$out") objects"
  else
    echo "FAIL: kubectl kustomize deploy/kubernetes: $out" >&2
    status=1
  fi
else
  echo "(kubectl not installed: kustomize build not checked)"
fi

[ $status -eq 0 ] && echo "kubernetes_test: all checks passed" || echo "kubernetes_test: FAILED" >&2
exit $status
