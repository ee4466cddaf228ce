#!/usr/bin/env bash
# tests/metrics/promtool_test.sh: the gateway's Prometheus exposition, checked by
# Prometheus's own linter (issue 18, "Metrics").
#
#   curl ──HTTP──> backup-gateway ──> backup-sim (cpm, backupdr, veeam, cloudbasic)
#   curl ──HTTP──> admin listener: GET /metrics ──> promtool check metrics
#
# It starts backup-sim (its four vendors) and the gateway in front of it, with
# CPM's backend set to open its circuit breaker after 3 failures and to make no
# retries; sends a few successful lists to every vendor, then makes CPM's
# simulator answer 503 until the breaker opens (the gateway answers 503
# circuit-open); then scrapes /metrics and checks that:
#   - `promtool check metrics` (Debian's package prometheus) exits 0 AND prints
#     nothing: some versions print lint problems and still exit 0;
#   - gateway_requests_total is a counter; gateway_backend_circuit_state is a gauge
#     with backend="cpm" at 1 (open); gateway_backend_circuit_opened_total is a
#     counter with backend="cpm" at 1 or more;
#   - every family of expected_families below has its `# TYPE name type` line, and
#     the histograms their _bucket{le="+Inf"}, _sum and _count series for
#     backend="cpm". A failure names every missing family.
#
# Everything is on loopback, on ports the system picks at run time (port 0: it
# runs under ctest -j beside other tests); everything it starts is stopped when it
# ends. A few seconds.
#
#   tests/metrics/promtool_test.sh GATEWAY_BIN SIM_BIN
#     exit 0 when every check holds, 1 when one fails, 77 (ctest: skipped) without promtool
# Environment:
#   BG_METRICS_KEEP=1      keep the run's directory (configuration, logs, the scrape); a failed run keeps it anyway
#   BG_METRICS_LIMIT=60    seconds after which the test stops itself and fails (ctest's TIMEOUT is 90)
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# EXPECTED FAMILIES (issue 18): name:type. Families the gateway's /metrics must declare
# with a `# TYPE name type` line; a histogram must also have _bucket{...le="+Inf"}, _sum
# and _count series for backend="cpm". A missing one fails the test, named.
expected_families=(
  gateway_backend_request_duration_seconds:histogram
  gateway_backend_upstream_attempts_total:counter
  gateway_backend_credential_renewals_total:counter
  gateway_backend_credential_failures_total:counter
  gateway_backend_circuit_transitions_total:counter
  gateway_client_requests_total:counter
  gateway_client_rate_limited_total:counter
)
# ---------------------------------------------------------------------------------------------

me=promtool_test
limit=${BG_METRICS_LIMIT:-60}

say() { echo "$me: $*"; }
keep_run=""  # set: the run's directory stays (a failure, to read its logs)
die() { keep_run=1; echo "$me: FAILED: $*" >&2; exit 1; }

[ $# -eq 2 ] || { echo "usage: $0 GATEWAY_BIN SIM_BIN" >&2; exit 2; }
gateway_bin=$1 sim_bin=$2
if ! command -v promtool >/dev/null; then
  echo "$me: SKIPPED: promtool is missing (Debian's package prometheus; scripts/install-deps installs it)"
  exit 77
fi
[ -x "$gateway_bin" ] || die "no gateway at $gateway_bin"
[ -x "$sim_bin" ] || die "no backup-sim at $sim_bin"
for tool in curl sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps installs it)"
done

# --- the run's directory, processes, traps ----------------------------------------------------
run=$(mktemp -d /tmp/bg-metrics.XXXXXX)
sim_pid="" gw_pid="" watchdog_pid=""
stopped=""

# alive, reap, halt, wait_for, show_log
# shellcheck source=scripts/lib/processes.sh
. "$(dirname "$0")/../../scripts/lib/processes.sh"
# shellcheck disable=SC2317  # run by the traps
stop() {
  [ -z "$stopped" ] || return 0
  stopped=1
  set +eu  # nothing may cut the cleanup short
  halt "$watchdog_pid" TERM 2
  halt "$gw_pid" TERM 10  # drain_delay 0s, shutdown_grace 2s; vendor logouts
  halt "$sim_pid" TERM 5
  set -eu
}
# shellcheck disable=SC2317
on_exit() {
  stop
  if [ "${BG_METRICS_KEEP:-0}" = 1 ] || [ -n "$keep_run" ]; then
    say "configuration, logs and the scrape kept in $run"
  else
    rm -rf "$run"
  fi
}
fail_on_signals

set -m  # the children get their own process groups

# The test ends by itself before ctest's timeout (90 s) could kill it and leave its
# children behind: a watchdog sends it SIGUSR1, whose trap stops them. (Every command
# below is bounded to a few seconds; stopping takes at most 17 s: 60 + 5 + 17 < 90.)
start_watchdog "$limit"


# --- backup-sim: the four vendors, ports picked by the system ---------------------------------
"$sim_bin" --threads 1 --cpm-port 0 --backupdr-port 0 --veeam-port 0 --cloudbasic-port 0 \
  >"$run/sim.out" 2>"$run/sim.log" &
sim_pid=$!
wait_for "$run/sim.out" '"ready":true' "$sim_pid" 20 || { show_log backup-sim "$run/sim.log"; die "backup-sim did not start"; }
sim_port() { { grep -o "\"$1\":[0-9]*" "$run/sim.out" || true; } | sed -n '1s/.*://p'; }
cpm_port=$(sim_port cpm) backupdr_port=$(sim_port backupdr)
veeam_port=$(sim_port veeam) cloudbasic_port=$(sim_port cloudbasic)
for v in cpm backupdr veeam cloudbasic; do
  p=${v}_port
  [ -n "${!p}" ] || die "backup-sim has no $v port: $(cat "$run/sim.out")"
done
say "backup-sim ready: cpm :$cpm_port, backupdr :$backupdr_port, veeam :$veeam_port, cloudbasic :$cloudbasic_port"

# --- the gateway: plain HTTP and admin, both on port 0 ----------------------------------------
# The simulator's demo secrets (docs/simulators.md, scripts/run), through the
# environment and a token file as in config/demo.yaml.
export DEMO_CPM_API_KEY=cpm-demo-api-key
export DEMO_VEEAM_PASSWORD=Password1
export DEMO_CLOUDBASIC_SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
printf '%s\n' backupdr-demo-token >"$run/backupdr.token"
key=metrics-key
key_sha=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
cat >"$run/gateway.yaml" <<YAML
# made by tests/metrics/promtool_test.sh: the four vendors of backup-sim
listen: [{address: 127.0.0.1, port: 0}]
admin: {address: 127.0.0.1, port: 0}
threads: 1
drain_delay: 0s
shutdown_grace: 2s
access_log: {path: "-"}
clients:
  - name: metrics
    api_key_sha256: $key_sha
    backends: ["*"]
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: http://127.0.0.1:$cpm_port/api
    api_version: 1.1.0
    credentials:
      api_key: \${DEMO_CPM_API_KEY}
    # each 503 is one failure (no retry); the third opens the breaker, which
    # stays open well past the scrape
    retries: {attempts: 1}
    circuit_breaker: {failures: 3, open_for: 1m, open_max: 5m}
  - name: backupdr
    type: google-backupdr
    base_url: http://127.0.0.1:$backupdr_port/actifio
    options:
      token_file: $run/backupdr.token
  - name: veeam
    type: veeam-aws
    base_url: http://127.0.0.1:$veeam_port/api/v1
    api_version: 1.7-rev0
    credentials:
      username: administrator
      password: \${DEMO_VEEAM_PASSWORD}
  - name: cloudbasic
    type: cloudbasic
    base_url: http://127.0.0.1:$cloudbasic_port
    credentials:
      access_key_id: AKIDEXAMPLE
      secret_access_key: \${DEMO_CLOUDBASIC_SECRET}
    options: {region: us-east-1}
YAML
"$gateway_bin" --config "$run/gateway.yaml" >"$run/gateway.access.log" 2>"$run/gateway.log" &
gw_pid=$!
wait_for "$run/gateway.log" '"msg":"admin listening"' "$gw_pid" 20 || { show_log gateway "$run/gateway.log"; die "the gateway did not start"; }
log_port() {  # log_port MSG: the port of the gateway's log line MSG
  { grep -F "\"msg\":\"$1\"" "$run/gateway.log" || true; } | sed -n '1s/.*"port":\([0-9]*\).*/\1/p'
}
gw_port=$(log_port listening) admin_port=$(log_port "admin listening")
if [ -z "$gw_port" ] || [ -z "$admin_port" ]; then show_log gateway "$run/gateway.log"; die "no ports in the gateway's log"; fi
ready=""
for _ in $(seq 1 50); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$admin_port/readyz")" = 200 ] && { ready=1; break; }
  sleep 0.1
done
[ -n "$ready" ] || { show_log gateway "$run/gateway.log"; die "the gateway never answered /readyz 200"; }
say "gateway ready: HTTP :$gw_port, admin :$admin_port"

# --- checks ------------------------------------------------------------------------------------
fails=0
pass() { say "ok: $*"; }
fail() { echo "$me: FAILED: $*" >&2; fails=$((fails + 1)); }
# get PATH: the gateway's status for GET PATH (000: no answer); its body in $run/body
get() {
  curl -s --max-time 10 -H "Authorization: Bearer $key" -o "$run/body" -w '%{http_code}' \
    "http://127.0.0.1:$gw_port$1" || true
}

# --- traffic: successful lists to every vendor -------------------------------------------------
lists=("/cpm/policies/?page=1&page_size=2"
       "/backupdr/application?page=1&page_size=2"
       "/veeam/virtualMachines?page=1&page_size=2"
       "/cloudbasic/replications?page=1&page_size=2")
for path in "${lists[@]}"; do
  codes=""
  for _ in 1 2 3; do codes+="$(get "$path") "; done
  if [ "$codes" = "200 200 200 " ]; then
    pass "GET $path three times: 200"
  else
    fail "GET $path three times: ${codes% } (expected 200 each): $(head -c 300 "$run/body")"
  fi
done

# --- CPM fails until its breaker opens -----------------------------------------------------------
faults=$(curl -s --max-time 5 -X POST -H 'Content-Type: application/json' \
  --data '{"count":5,"status":503}' "http://127.0.0.1:$cpm_port/__sim/faults" || true)
case "$faults" in
  *'"pending_faults"'*) ;;
  *) die "backup-sim refused the CPM faults: ${faults:-no answer}" ;;
esac
opened="" seen=""
for _ in $(seq 1 8); do
  code=$(get "/cpm/policies/?page=1&page_size=2")
  seen+="$code "
  if [ "$code" = 503 ] && grep -q 'circuit-open' "$run/body"; then opened=1; break; fi
done
if [ -n "$opened" ]; then
  pass "CPM's breaker opened (statuses: ${seen% }; the last: 503 circuit-open)"
else
  fail "CPM's breaker never answered circuit-open (statuses: ${seen% }): $(head -c 300 "$run/body")"
fi

# --- the scrape ------------------------------------------------------------------------------------
scrape=$run/metrics.txt
code=$(curl -s --max-time 5 -D "$run/metrics.headers" -o "$scrape" -w '%{http_code}' \
  "http://127.0.0.1:$admin_port/metrics" || true)
[ "$code" = 200 ] || die "GET /metrics on the admin listener: ${code:-no answer}"
say "scraped /metrics: $(wc -l <"$scrape") lines, $(grep -c '^# TYPE ' "$scrape" || true) families; $(grep -i '^content-type:' "$run/metrics.headers" | tr -d '\r')"

# promtool: its exit status AND its output (problems are printed, one a line, and
# some versions still exit 0)
promtool_rc=0
promtool check metrics <"$scrape" >"$run/promtool.out" 2>&1 || promtool_rc=$?
if [ "$promtool_rc" = 0 ] && [ ! -s "$run/promtool.out" ]; then
  pass "promtool check metrics: exit 0, no problem"
else
  fail "promtool check metrics: exit $promtool_rc, $(wc -l <"$run/promtool.out") line(s):"
  sed 's/^/    /' "$run/promtool.out" >&2
fi

# family_type NAME: the type its `# TYPE` line gives (empty: none)
family_type() { { grep -E "^# TYPE $1 " "$scrape" || true; } | sed -n '1s/^# TYPE [^ ]* \([^ ]*\).*/\1/p'; }
# series_value NAME LABEL: the value of NAME's series carrying LABEL (e.g. backend="cpm")
series_value() {
  { grep -E "^$1\{" "$scrape" || true; } | grep -F -- "$2" | sed -n '1s/.*} *\([^ ]*\).*/\1/p'
}
check_type() {  # check_type NAME TYPE
  local t
  t=$(family_type "$1")
  if [ "$t" = "$2" ]; then pass "$1 is a $2"; else fail "$1: expected # TYPE $1 $2, found ${t:-no TYPE line}"; fi
}

check_type gateway_requests_total counter
check_type gateway_backend_circuit_state gauge
check_type gateway_backend_circuit_opened_total counter
v=$(series_value gateway_backend_circuit_state 'backend="cpm"')
if [ "$v" = 1 ]; then pass "gateway_backend_circuit_state{backend=\"cpm\"} 1 (open)"; else fail "gateway_backend_circuit_state{backend=\"cpm\"} is ${v:-absent}, expected 1 (open)"; fi
v=$(series_value gateway_backend_circuit_opened_total 'backend="cpm"')
if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ]; then
  pass "gateway_backend_circuit_opened_total{backend=\"cpm\"} $v (at least 1)"
else
  fail "gateway_backend_circuit_opened_total{backend=\"cpm\"} is ${v:-absent}, expected at least 1"
fi

# --- the expected families ---------------------------------------------------------------------------
missing=() wrong=()
for entry in "${expected_families[@]}"; do
  name=${entry%%:*} type=${entry#*:}
  t=$(family_type "$name")
  if [ -z "$t" ]; then missing+=("$name ($type)"); continue; fi
  if [ "$t" != "$type" ]; then wrong+=("$name: # TYPE says $t, expected $type"); continue; fi
  if [ "$type" = histogram ]; then
    lacks=()
    cpm=$(grep -E "^${name}_(bucket|sum|count)\{" "$scrape" | grep -F 'backend="cpm"' || true)
    grep -E "^${name}_bucket\{" <<<"$cpm" | grep -F 'le="+Inf"' >/dev/null || lacks+=("${name}_bucket{backend=\"cpm\",le=\"+Inf\"}")
    grep -qE "^${name}_sum\{" <<<"$cpm" || lacks+=("${name}_sum{backend=\"cpm\"}")
    grep -qE "^${name}_count\{" <<<"$cpm" || lacks+=("${name}_count{backend=\"cpm\"}")
    # `le` as Go's client writes it (le="10", not le="1e+01"): dashboards match the string.
    grep -E "^${name}_bucket\{" <<<"$cpm" | grep -F 'le="10"' >/dev/null || lacks+=("${name}_bucket{backend=\"cpm\",le=\"10\"}")
    if grep -E "^${name}_bucket\{" <<<"$cpm" | grep -qE 'le="[^"]*e[+-]'; then lacks+=("an le without an exponent"); fi
    if [ ${#lacks[@]} -gt 0 ]; then wrong+=("$name: no series ${lacks[*]}"); continue; fi
  fi
  pass "$name is a $type"
done
if [ ${#missing[@]} -gt 0 ]; then
  fail "${#missing[@]} of ${#expected_families[@]} expected families missing from /metrics (no # TYPE line):"
  printf '    %s\n' "${missing[@]}" >&2
fi
if [ ${#wrong[@]} -gt 0 ]; then
  fail "${#wrong[@]} expected families declared wrong:"
  printf '    %s\n' "${wrong[@]}" >&2
fi

if [ "$fails" -gt 0 ]; then
  keep_run=1
  echo "$me: FAILED: $fails check(s); the scrape: $scrape" >&2
  exit 1
fi
say "PASSED"
