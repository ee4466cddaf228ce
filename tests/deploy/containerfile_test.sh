#!/usr/bin/env bash
# tests/deploy/containerfile_test.sh SOURCE_DIR GATEWAY_BINARY
#
# Checks deploy/Containerfile without building it (building needs a container
# registry for the debian:12 images, which the project's machines cannot reach):
#   1. the runtime stage installs the Debian package of every shared library
#      the built gateway links (`ldd` on GATEWAY_BINARY, `dpkg -S` on each
#      library), but for those debian:12-slim already has;
#   2. the builder stage installs the build part of scripts/install-deps'
#      list, no more, no less: a -dev package added there for the build is
#      missed here otherwise;
#   3. the image's shape: debian:12 → debian:12-slim, a numeric non-root USER
#      (the one deploy/kubernetes/deployment.yaml runs as), EXPOSE 8443 9901,
#      the ENTRYPOINT the systemd unit and the Deployment use too, and the
#      binary copied from where the build puts it.
#
# Exit 0: all good; 1: a check failed; 77: skipped (no ldd or dpkg: not a
# Debian machine; tests/deploy/CMakeLists.txt sets SKIP_RETURN_CODE).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR GATEWAY_BINARY" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
gateway=$2
containerfile="$src/deploy/Containerfile"
install_deps="$src/scripts/install-deps"
SKIP=77
# In debian:12-slim already (apt, which every Debian image has, depends on them).
base_image_packages="libc6 libgcc-s1 libstdc++6"
# What the build needs, in scripts/install-deps' list: the compilers and
# tools, and every -dev package.
build_tools="build-essential cmake ninja-build pkg-config"

for tool in ldd dpkg dpkg-query; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found (this test reads Debian's package database)" >&2; exit $SKIP; }
done
[ -f "$containerfile" ] || { echo "FAIL: $containerfile not found" >&2; exit 1; }
[ -x "$gateway" ] || { echo "FAIL: gateway binary $gateway not found or not executable" >&2; exit 1; }

status=0
fail() { echo "FAIL: $*" >&2; status=1; }
ok() { echo "ok   $*"; }
# expect OK_MESSAGE FAIL_MESSAGE COMMAND...: ok when COMMAND succeeds.
expect() {
  local good=$1 bad=$2
  shift 2
  if "$@"; then ok "$good"; else fail "$bad"; fi
}

# The Containerfile as logical lines (continuations joined), each prefixed
# with its stage's number (1, 2, ...): "2 RUN apt-get update && ...".
logical=$(awk '
  /^[ \t]*#/ { next }
  { line = line $0 }
  /\\$/ { sub(/\\$/, "", line); next }
  { if (line ~ /^FROM[ \t]/) stage++; if (line != "") print stage " " line; line = "" }' "$containerfile")
stage_count=$(grep -c '^[0-9]* FROM ' <<<"$logical" || true)

# The packages one stage's `apt-get install` names (options left out).
apt_packages() {
  grep "^$1 RUN " <<<"$logical" | sed 's/&&/\n/g' | grep 'apt-get install' |
    sed 's/.*apt-get install//' | tr -s ' \t' '\n' | grep -v '^-' | grep -v '^$' | sort -u || true
}

# --- 3. the image's shape (first: the stages the rest reads) -------------------
from1=$(grep '^1 FROM ' <<<"$logical" | cut -d' ' -f3- | xargs || true)
from_last=$(grep "^$stage_count FROM " <<<"$logical" | cut -d' ' -f3- | xargs || true)
expect "stage 1: FROM debian:12 AS builder" "the first stage must be 'FROM debian:12 AS builder', is 'FROM $from1'" \
  [ "$from1" = "debian:12 AS builder" ]
last_ok=no
if [ "$stage_count" -ge 2 ] && [ "$from_last" = "debian:12-slim" ]; then last_ok=yes; fi
expect "last stage: FROM debian:12-slim" "the last of several stages must be 'FROM debian:12-slim', is 'FROM $from_last'" \
  [ $last_ok = yes ]

last() { grep "^$stage_count $1 " <<<"$logical" | tail -1 | cut -d' ' -f3- || true; }
user=$(last USER)
uid=${user%%:*}
k8s_uid=$(grep -m1 -o 'runAsUser: [0-9]*' "$src/deploy/kubernetes/deployment.yaml" | awk '{ print $2 }' || true)
if [[ "$uid" =~ ^[0-9]+$ ]] && [ "$uid" -ne 0 ]; then
  ok "USER $user (numeric, not root)"
  expect "the same uid as runAsUser in deployment.yaml" "USER $uid, but deploy/kubernetes/deployment.yaml runs the gateway as $k8s_uid" \
    [ "$uid" = "$k8s_uid" ]
else
  fail "USER must be a numeric uid other than 0 (Kubernetes' runAsNonRoot checks it), is '$user'"
fi
exposed=$(grep "^$stage_count EXPOSE " <<<"$logical" | cut -d' ' -f3- | tr ' ' '\n' | grep -v '^$' | sort -n | tr '\n' ' ' || true)
expect "EXPOSE 8443 9901" "EXPOSE must be 8443 and 9901 (the listener and the admin port), is '$exposed'" \
  [ "$exposed" = "8443 9901 " ]
entry=$(last ENTRYPOINT)
want_entry='["/usr/local/bin/backup-gateway", "--config", "/etc/backup-gateway/gateway.yaml"]'
expect "ENTRYPOINT $entry" "ENTRYPOINT must be $want_entry (as the systemd unit's ExecStart and the Deployment's command), is '$entry'" \
  [ "$entry" = "$want_entry" ]
copy=$(grep "^$stage_count COPY --from=builder " <<<"$logical" | cut -d' ' -f4- || true)
expect "COPY --from=builder $copy" \
  "the runtime stage must COPY --from=builder /src/build/release/gateway/backup-gateway /usr/local/bin/backup-gateway, has '$copy'" \
  [ "$copy" = "/src/build/release/gateway/backup-gateway /usr/local/bin/backup-gateway" ]
builder_runs=$(grep "^1 RUN " <<<"$logical" || true)
gateway_alone=no
if [[ "$builder_runs" == *-DBG_TESTS=OFF* && "$builder_runs" == *"--target backup-gateway"* ]]; then gateway_alone=yes; fi
expect "the builder builds the gateway alone (BG_TESTS=OFF, --target backup-gateway)" \
  "the builder should configure with -DBG_TESTS=OFF and build --target backup-gateway" \
  [ $gateway_alone = yes ]

# --- 1. the runtime libraries ------------------------------------------------------
runtime=$(apt_packages "$stage_count")
needed=""
while read -r lib; do
  [ -n "$lib" ] || continue
  # Debian 12 is /usr-merged: dpkg knows a library by the path it shipped it
  # at, /lib/... or /usr/lib/...; try both.
  real=$(readlink -f "$lib")
  pkg=""
  for p in "$lib" "$real" "/usr$real" "${real#/usr}" "/usr$lib" "${lib#/usr}"; do
    pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  if [ -z "$pkg" ]; then
    fail "$lib: no Debian package ships it (a library built by hand? the image would lack it)"
    continue
  fi
  needed+="$pkg"$'\n'
  if [[ " $base_image_packages " == *" $pkg "* ]]; then
    ok "$(basename "$lib"): $pkg, in debian:12-slim"
  elif grep -qx "$pkg" <<<"$runtime"; then
    ok "$(basename "$lib"): $pkg, installed by the runtime stage"
  else
    fail "$(basename "$lib") comes from $pkg, which the runtime stage of deploy/Containerfile does not install"
  fi
done < <(ldd "$gateway" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
if ldd "$gateway" | grep -q 'not found'; then
  fail "ldd: libraries not found on this machine: $(ldd "$gateway" | grep 'not found' | awk '{ print $1 }' | tr '\n' ' ')"
fi
# Each listed package must be a real one (installed here: the build links
# against them, or install-deps installs them); listed but unlinked is only
# worth a note (ca-certificates is data, a library may be linked soon).
for p in $runtime; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    fail "runtime package $p is not installed on this machine: misspelt? (apt-cache policy $p)"
  elif ! grep -qx "$p" <<<"$needed" && [ "$p" != ca-certificates ]; then
    echo "note $p is installed by the runtime stage but the binary does not link it (yet?)"
  fi
done

# --- 2. the build packages against scripts/install-deps --------------------------
# install-deps' first packages=( ... ) list: the base, before the --bench and
# --fuzz extras.
deps=$(awk '/^packages=\(/ { on = 1; sub(/^packages=\(/, "") } on { line = $0; sub(/#.*/, "", line); if (line ~ /\)/) { sub(/\).*/, "", line); print line; exit } print line }' "$install_deps" |
  tr -s ' \t' '\n' | grep -v '^$' | sort -u)
[ -n "$deps" ] || fail "could not read the packages=( ... ) list of scripts/install-deps"
want_build=$( (grep -- '-dev$' <<<"$deps" || true; tr ' ' '\n' <<<"$build_tools") | sort -u)
builder=$(apt_packages 1)
missing=$(comm -23 <(echo "$want_build") <(echo "$builder") | tr '\n' ' ')
extra=$(comm -13 <(echo "$deps") <(echo "$builder") | tr '\n' ' ')
expect "the builder installs every build package of scripts/install-deps ($(tr '\n' ' ' <<<"$want_build"))" \
  "the builder stage lacks ${missing}(in scripts/install-deps' list)" [ -z "${missing// }" ]
expect "the builder installs nothing scripts/install-deps does not list" \
  "the builder stage installs ${extra}which scripts/install-deps does not list: add them there too, or drop them" [ -z "${extra// }" ]

[ $status -eq 0 ] && echo "containerfile_test: all checks passed" || echo "containerfile_test: FAILED" >&2
exit $status
