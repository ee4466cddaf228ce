#!/usr/bin/env bash
# tests/cluster/rolling_restart_test.sh: a rolling restart under load (issue 17).
#
#   curl (keep-alive, 2 loops) ──HTTP──> HAProxy ──HTTP, round robin──> replica-1, replica-2 ──> backup-sim
#                                       checks GET /readyz on each admin port        (cpm, veeam)
#
# Two gateway replicas behind Debian's HAProxy, whose health check is the
# replicas' /readyz. While a bounded client load runs through HAProxy, replica-1
# gets SIGTERM, exits, is started again on the same ports and comes back UP in
# HAProxy; then the same for replica-2. It checks that:
#   - every request was answered 200 (no 5xx, no transport failure: curl's 000),
#     and there were at least BG_RR_MIN_REQUESTS (500) of them;
#   - HAProxy's own log agrees: one line per request, each 200, closed normally,
#     and none retried (the retries below are a safety net; a drain that works
#     needs none);
#   - HAProxy marked each replica DOWN (its /readyz 503) before the replica
#     stopped accepting (drain_delay), and UP again after its restart;
#   - each replica logged the drain's three lines in order and exited 0, and
#     each restarted replica served requests;
# docs/operations.md explains the HAProxy settings and how to size drain_delay.
#
# Everything is on loopback, on ports picked at run time (it runs under ctest -j
# beside other tests); everything it starts is stopped when it ends. About 15 s.
#
#   tests/cluster/rolling_restart_test.sh     exit 0 when every check holds, 1 when one fails
# Environment:
#   BG_BUILD_DIR=build/release   the build tree holding gateway/backup-gateway and
#                                tests/simulators/backup-sim (relative to the repository or absolute)
#   BG_RR_KEEP=1                 keep the run's directory (configurations, logs); a failed run keeps it anyway
#   BG_RR_LIMIT=60               seconds after which the test stops itself and fails
#   BG_RR_MIN_REQUESTS=500       requests the load must have made
# To see it fail (what a misconfigured fleet does):
#   BG_RR_DRAIN_DELAY=0s         the replicas stop accepting at once on SIGTERM
#   BG_RR_CHECK_PATH=/healthz    HAProxy checks liveness instead of readiness
#   BG_RR_RETRIES=0              HAProxy without retries (retries 0, no redispatch, no L7 retry)
#   BG_RR_RETRY_ON=conn-failure  HAProxy's retry-on (default: conn-failure empty-response)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
me=rolling_restart_test

drain_delay=${BG_RR_DRAIN_DELAY:-2s}
check_path=${BG_RR_CHECK_PATH:-/readyz}
with_retries=${BG_RR_RETRIES:-1}
retry_on=${BG_RR_RETRY_ON:-conn-failure empty-response}
min_requests=${BG_RR_MIN_REQUESTS:-500}
limit=${BG_RR_LIMIT:-60}
grace=10s

say() { echo "$me: $*"; }
keep_run=""  # set: the run's directory stays (a failure, to read its logs)
die() { keep_run=1; echo "$me: FAILED: $*" >&2; exit 1; }

build_dir=${BG_BUILD_DIR:-build/release}
[[ "$build_dir" == /* ]] || build_dir=$root/$build_dir
gateway_bin=$build_dir/gateway/backup-gateway
sim_bin=$build_dir/tests/simulators/backup-sim
[ -x "$gateway_bin" ] || die "no gateway at $gateway_bin (set BG_BUILD_DIR, or build: scripts/build release)"
[ -x "$sim_bin" ] || die "no backup-sim at $sim_bin (set BG_BUILD_DIR, or build: scripts/build release)"
for tool in haproxy curl sha256sum awk; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps installs it)"
done

# --- ports ----------------------------------------------------------------------
can_connect() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A free port below the ephemeral range (as scripts/cluster and bench/run pick
# them): a replica is started again on the same ports, and a port from the
# ephemeral range could meanwhile become some other test's connection's.
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 10000))
    can_connect "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}
ms() { date +%s%3N; }

# --- the run's directory, processes, traps ----------------------------------------
run=$(mktemp -d /tmp/bg-rolling.XXXXXX)
sim_pid="" hap_pid="" watchdog_pid=""
rep_pid=("" "") load_pids=()
stopped=""

# alive, reap ($reaped), halt, wait_for, show_log
# shellcheck source=scripts/lib/processes.sh
. "$(dirname "$0")/../../scripts/lib/processes.sh"
stop_load() {
  touch "$run/stop-load"
  local p running
  # each loop finishes its batch (a fraction of a second), together at most 6 s
  for _ in $(seq 1 60); do
    running=""
    for p in "${load_pids[@]}"; do alive "$p" && running=1; done
    [ -n "$running" ] || break
    sleep 0.1
  done
  for p in "${load_pids[@]}"; do
    # its own process group (set -m): the loop and its curl
    kill -TERM -- "-$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  load_pids=()
}
final_rc=("" "")
# Stops everything: the load, HAProxy (USR1: its soft stop), the replicas
# (each drains: drain_delay + shutdown_grace at most), backup-sim.
# shellcheck disable=SC2317  # run by the traps
stop() {
  [ -z "$stopped" ] || return 0
  stopped=1
  set +eu  # nothing may cut the cleanup short
  [ -z "$watchdog_pid" ] || halt "$watchdog_pid" TERM 2
  stop_load
  halt "$hap_pid" USR1 5
  local i
  for i in 0 1; do [ -z "${rep_pid[$i]}" ] || kill -TERM "${rep_pid[$i]}" 2>/dev/null; done
  for i in 0 1; do
    [ -z "${rep_pid[$i]}" ] || { reap "${rep_pid[$i]}" 15; final_rc[i]=$reaped; rep_pid[i]=""; }
  done
  halt "$sim_pid" TERM 10
  set -eu
}
# shellcheck disable=SC2317
on_exit() {
  stop
  if [ "${BG_RR_KEEP:-0}" = 1 ] || [ -n "$keep_run" ]; then
    say "configurations and logs kept in $run"
  else
    rm -rf "$run"
  fi
}
fail_on_signals

set -m  # the children get their own process groups

# The test ends by itself before ctest's timeout (120 s) could kill it and
# leave its children behind: a watchdog sends it SIGUSR1, whose trap stops them.
# (The trap waits for the command under way, at most ~17 s, and stopping takes
# at most ~36 s: 60 + 17 + 36 < 120.)
start_watchdog "$limit"


# --- backup-sim: CPM and Veeam, ports picked by the system ---------------------------
export DEMO_CPM_API_KEY=cpm-demo-api-key
export DEMO_VEEAM_PASSWORD=Password1
"$sim_bin" --only cpm,veeam --threads 1 --cpm-port 0 --veeam-port 0 >"$run/sim.out" 2>"$run/sim.log" &
sim_pid=$!
wait_for "$run/sim.out" '"ready":true' "$sim_pid" 30 || { show_log backup-sim "$run/sim.log"; die "backup-sim did not start"; }
sim_port() { { grep -o "\"$1\":[0-9]*" "$run/sim.out" || true; } | sed -n '1s/.*://p'; }
cpm_port=$(sim_port cpm) veeam_port=$(sim_port veeam)

# --- the two replicas ------------------------------------------------------------------
key=rolling-key
key_sha=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
listen_ports=("" "") admin_ports=("" "")
write_yaml() {  # write_yaml I
  cat >"$run/replica-$(($1 + 1)).yaml" <<YAML
# replica-$(($1 + 1)) of 2 behind HAProxy, made by tests/cluster/rolling_restart_test.sh
listen: [{address: 127.0.0.1, port: ${listen_ports[$1]}}]
# HAProxy's health check: /readyz answers 503 from SIGTERM on
admin: {address: 127.0.0.1, port: ${admin_ports[$1]}}
threads: 1
# unready but still serving this long: HAProxy's check (every 300 ms, DOWN
# after 2 failures) takes the replica out well within it
drain_delay: $drain_delay
shutdown_grace: $grace
access_log: {path: "-"}
clients:
  - name: load
    api_key_sha256: $key_sha
    backends: ["*"]
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: http://127.0.0.1:$cpm_port/api
    api_version: 1.1.0
    credentials:
      api_key: \${DEMO_CPM_API_KEY}
  - name: veeam
    type: veeam-aws
    base_url: http://127.0.0.1:$veeam_port/api/v1
    api_version: 1.7-rev0
    credentials:
      username: administrator
      password: \${DEMO_VEEAM_PASSWORD}
YAML
}
# start_replica I RUN: replica I (0 or 1) on its ports; RUN 1 is the first
# start, 2 the restart. Its access log (stdout) and own log (stderr) per run.
start_replica() {
  local i=$1 n=$(($1 + 1)) base=$run/replica-$(($1 + 1))-run$2
  "$gateway_bin" --config "$run/replica-$n.yaml" >"$base.access.log" 2>"$base.log" &
  rep_pid[i]=$!
  if ! wait_for "$base.log" '"msg":"admin listening"' "${rep_pid[$i]}" 20; then
    reap "${rep_pid[$i]}" 1
    rep_pid[i]=""
    return 1
  fi
  for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${admin_ports[$i]}/readyz")" = 200 ] && return 0
    sleep 0.1
  done
  die "replica-$n never answered /readyz 200"
}
for i in 0 1; do
  started=""
  for _ in 1 2 3 4 5; do  # ports taken meanwhile: pick others
    listen_ports[i]=$(pick_port) admin_ports[i]=$(pick_port)
    [ "${listen_ports[$i]}" != "${admin_ports[$i]}" ] || continue
    if [ "$i" = 1 ]; then
      case " ${listen_ports[0]} ${admin_ports[0]} " in *" ${listen_ports[1]} "* | *" ${admin_ports[1]} "*) continue ;; esac
    fi
    write_yaml "$i"
    if start_replica "$i" 1; then started=1; break; fi
    grep -q 'in use' "$run/replica-$((i + 1))-run1.log" || break
  done
  [ -n "$started" ] || { show_log "replica-$((i + 1))" "$run/replica-$((i + 1))-run1.log"; die "replica-$((i + 1)) did not start"; }
done
say "replicas ready: HTTP ${listen_ports[*]}, admin ${admin_ports[*]}; drain_delay $drain_delay"

# --- HAProxy ------------------------------------------------------------------------------
front_port="" stats_port=""
write_haproxy_cfg() {
  local retry_lines
  if [ "$with_retries" = 1 ]; then
    retry_lines="    # The safety net (the drain itself needs none: the test checks that no
    # request was retried). A request that fails for want of a replica is sent
    # again, up to 3 times (retries), each time to another replica (redispatch
    # 1: on every retry, not only the last). conn-failure: the connection was
    # refused or reset before the request went out (a replica that stopped
    # before its check noticed). empty-response: the request went out on an
    # idle keep-alive connection which the replica closed without answering
    # (closing it as idle, e.g. at its limits.idle_timeout): nothing was
    # processed. Not response-timeout nor status codes: a slow answer or a 503
    # is the gateway's own answer.
    retries 3
    option redispatch 1
    retry-on $retry_on"
  else
    retry_lines="    # BG_RR_RETRIES=0: no retry at all
    retries 0"
  fi
  cat >"$run/haproxy.cfg" <<CFG
# made by tests/cluster/rolling_restart_test.sh: HAProxy in front of two replicas
global
    # light on a shared machine (the test's load is small)
    nbthread 1
    # the request log below, on standard output (haproxy -db)
    log stdout format raw local0 info

defaults
    mode http
    log global
    # one line per request: its status, the replica, retries (+N: redispatched)
    # and the termination state (-- : closed normally)
    log-format "req %f status=%ST server=%s retries=%rc term=%ts"
    # not the test's probes of the port (a connection without a request)
    option dontlognull
    # keep-alive on both sides; an idle connection to a replica serves the
    # next request of any client session, but never the first request of a
    # session (http-reuse safe, the default, said here)
    option http-keep-alive
    http-reuse safe
$retry_lines
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout check 1s

frontend gateway
    bind 127.0.0.1:$front_port
    default_backend replicas

backend replicas
    balance roundrobin
    # the replica's readiness, on its admin port: 503 from SIGTERM on
    option httpchk GET $check_path
    http-check expect status 200
    # every 300 ms; DOWN after 2 failures (within 0.6 to 1 s, well inside
    # drain_delay), UP again after 1 success
    default-server inter 300ms fall 2 rise 1
    # L7 retries (empty-response) resend a request whose answer never came; a
    # POST or PATCH may have started a job, so, as the gateway does upstream
    # (docs/resilience.md), they are never resent (a conn-failure retry, when
    # nothing was sent, still is)
    http-request disable-l7-retry if METH_POST or { method PATCH }
    # which replica answered (the test counts them)
    http-response set-header X-Served-By %s
    server replica-1 127.0.0.1:${listen_ports[0]} check port ${admin_ports[0]}
    server replica-2 127.0.0.1:${listen_ports[1]} check port ${admin_ports[1]}

listen stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /
    no log
CFG
}
# server_state NAME: HAProxy's view of replica NAME, "STATUS CHECK_STATUS" (UP L7OK, DOWN L7STS, ...)
server_state() {
  { curl -s --max-time 2 "http://127.0.0.1:$stats_port/;csv" || true; } | awk -F, -v s="$1" '
    NR == 1 { for (i = 1; i <= NF; i++) { h = $i; sub(/^# /, "", h); col[h] = i }; next }
    $1 == "replicas" && $2 == s { print $col["status"], $col["check_status"] }'
}
up() { [ "$(server_state "$1")" = "UP L7OK" ]; }

for attempt in 1 2 3 4 5; do
  front_port=$(pick_port) stats_port=$(pick_port)
  [ "$front_port" != "$stats_port" ] || continue
  write_haproxy_cfg
  haproxy -c -q -f "$run/haproxy.cfg" >"$run/haproxy.err" 2>&1 || { show_log haproxy "$run/haproxy.err"; die "HAProxy refused $run/haproxy.cfg"; }
  haproxy -db -f "$run/haproxy.cfg" >"$run/haproxy.log" 2>"$run/haproxy.err" &
  hap_pid=$!
  ok=""
  for _ in $(seq 1 100); do
    alive "$hap_pid" || break
    if can_connect "$front_port" && up replica-1 && up replica-2; then ok=1; break; fi
    sleep 0.1
  done
  [ -z "$ok" ] || break
  halt "$hap_pid" TERM 2
  hap_pid=""
  if [ "$attempt" = 5 ] || ! grep -q 'cannot bind\|Address already in use' "$run/haproxy.err"; then
    show_log haproxy "$run/haproxy.err"
    die "HAProxy did not start with both replicas UP"
  fi
done
say "HAProxy on 127.0.0.1:$front_port (stats :$stats_port), both replicas UP; health check GET $check_path"

# --- the load: two loops of keep-alive curl batches, until told to stop ---------------------
# Each batch: 40 requests (cpm and veeam lists in turn) over up to 4 keep-alive
# connections; one line per request: "STATUS REPLICA" (000: no answer at all).
# Bounded: each request within 5 s, the loop within the test's time limit.
batch=()
for _ in $(seq 1 20); do
  batch+=(-o /dev/null "http://127.0.0.1:$front_port/cpm/policies/?page=1&page_size=2"
          -o /dev/null "http://127.0.0.1:$front_port/veeam/virtualMachines?page=1&page_size=2")
done
load_loop() {  # load_loop N
  local end=$(($(date +%s) + limit))
  while [ ! -e "$run/stop-load" ] && [ "$(date +%s)" -lt "$end" ]; do
    curl -s --parallel --parallel-max 4 --max-time 5 -H "Authorization: Bearer $key" \
      -w '%{http_code} %header{x-served-by}\n' "${batch[@]}" >>"$run/load-$1.txt" 2>/dev/null || true
    sleep 0.1  # a few hundred requests a second: enough, on a shared machine
  done
}
: >"$run/load-1.txt"
: >"$run/load-2.txt"
for n in 1 2; do
  load_loop "$n" &
  load_pids+=($!)
done
t_start=$(ms)

# --- the rolling restart --------------------------------------------------------------------
fails=0
pass() { say "ok: $*"; }
fail() { echo "$me: FAILED: $*" >&2; fails=$((fails + 1)); }
requests() { cat "$run"/load-*.txt | wc -l; }

sleep 2  # the load under way on both replicas
say "load under way: $(requests) requests so far"
drain_ms=$(awk -v d="$drain_delay" 'BEGIN { v = d + 0; if (d ~ /ms$/) print v; else print v * 1000 }')
for i in 0 1; do
  n=$((i + 1)) name=replica-$((i + 1)) log1=$run/replica-$((i + 1))-run1.log
  t0=$(ms)
  kill -TERM "${rep_pid[$i]}"
  # HAProxy must see it DOWN while it still accepts (within drain_delay)
  down_ms="" accepting_when_down=""
  for _ in $(seq 1 $(((drain_ms + 5000) / 50))); do
    state=$(server_state "$name")
    if [ "${state%% *}" = DOWN ]; then
      down_ms=$(($(ms) - t0))
      grep -qF '"draining: no longer accepting"' "$log1" || accepting_when_down=1
      break
    fi
    sleep 0.05
  done
  reap "${rep_pid[$i]}" $((drain_ms / 1000 + ${grace%s} + 5))
  rc=$reaped rep_pid[i]=""
  stopped_ms=$(($(ms) - t0))
  if [ -n "$down_ms" ] && [ -n "$accepting_when_down" ]; then
    pass "$name: HAProxy marked it DOWN ${down_ms} ms after SIGTERM, while it still accepted (drain_delay $drain_delay)"
  elif [ -n "$down_ms" ]; then
    fail "$name: HAProxy marked it DOWN ${down_ms} ms after SIGTERM, after it had stopped accepting (drain_delay $drain_delay)"
  else
    fail "$name: HAProxy did not mark it DOWN within $((drain_ms + 5000)) ms of SIGTERM"
  fi
  if [ "$rc" = 0 ]; then pass "$name: exited 0, ${stopped_ms} ms after SIGTERM"; else fail "$name: exited $rc on SIGTERM"; fi
  lines=$(grep -o '"msg":"\(shutting down: unready, still serving for drain_delay\|draining: no longer accepting\|stopped\)"' "$log1" | tr '\n' ' ')
  expected='"msg":"shutting down: unready, still serving for drain_delay" "msg":"draining: no longer accepting" "msg":"stopped" '
  if [ "$lines" = "$expected" ]; then pass "$name: logged the drain's three lines in order"; else fail "$name: its drain lines: ${lines:-none}"; fi

  # the same ports again (the replica's file unchanged)
  t1=$(ms)
  start_replica "$i" 2 || { show_log "$name" "$run/$name-run2.log"; die "$name did not start again"; }
  back=""
  for _ in $(seq 1 100); do up "$name" && { back=1; break; }; sleep 0.05; done
  if [ -n "$back" ]; then pass "$name: started again on its ports, UP in HAProxy $(($(ms) - t1)) ms after its start"; else fail "$name: not UP in HAProxy 5 s after its restart ($(server_state "$name"))"; fi
  sleep 1.5  # a few check intervals, and requests for the restarted replica
done
sleep 1
say "restarts done in $(($(ms) - t_start)) ms; stopping the load"
stop_load

# --- what the client saw, what HAProxy saw ------------------------------------------------------
total=$(requests)
ok=$(cat "$run"/load-*.txt | awk '$1 == 200' | wc -l)
bad=$((total - ok))
say "client: $total requests in $(($(ms) - t_start)) ms: $ok answered 200; by replica: $(cat "$run"/load-*.txt | awk '{ n[$2]++ } END { for (r in n) printf "%s %d  ", r, n[r] }')"
if [ "$bad" = 0 ]; then
  pass "every request answered 200 (no error, no transport failure)"
else
  fail "$bad of $total requests not answered 200: $(cat "$run"/load-*.txt | awk '$1 != 200 { n[$1]++ } END { for (c in n) printf "%s×%d ", c, n[c] }')"
fi
if [ "$total" -ge "$min_requests" ]; then pass "$total requests (at least $min_requests)"; else fail "only $total requests (expected at least $min_requests)"; fi

halt "$hap_pid" USR1 5  # flushes its log
hap_pid=""
hap_lines=$(grep -c '^req gateway ' "$run/haproxy.log" || true)
hap_bad=$(grep '^req gateway ' "$run/haproxy.log" | grep -vc '^req gateway status=200 server=replica-[12] retries=0 term=--$' || true)
hap_retried=$(grep '^req gateway ' "$run/haproxy.log" | grep -vc ' retries=0 ' || true)
if [ "$hap_lines" = "$total" ] && [ "$hap_bad" = 0 ]; then
  pass "HAProxy logged $hap_lines requests, each 200 from a replica, closed normally, none retried"
else
  fail "HAProxy logged $hap_lines requests (the client made $total); $hap_bad not 200-from-a-replica-closed-normally-unretried ($hap_retried retried): $(grep '^req gateway ' "$run/haproxy.log" | grep -v '^req gateway status=200 server=replica-[12] retries=0 term=--$' | sort | uniq -c | sort -rn | head -5 | tr '\n' ';')"
fi

stop  # the replicas' access logs are whole once they have exited
for i in 0 1; do
  n=$((i + 1))
  before=$(grep -c '"config_generation"' "$run/replica-$n-run1.access.log" || true)
  after=$(grep -c '"config_generation"' "$run/replica-$n-run2.access.log" || true)
  header=$(cat "$run"/load-*.txt | awk -v r="replica-$n" '$2 == r' | wc -l)
  if [ "$after" -gt 0 ]; then pass "replica-$n served $after requests after its restart ($before before)"; else fail "replica-$n served no request after its restart"; fi
  if [ "$((before + after))" = "$header" ]; then
    pass "replica-$n's access logs hold the $header requests X-Served-By gave it"
  else
    fail "replica-$n's access logs hold $((before + after)) requests, X-Served-By gave it $header"
  fi
  if [ "${final_rc[$i]}" = 0 ]; then pass "replica-$n (restarted) exited 0 at the end"; else fail "replica-$n (restarted) exited ${final_rc[$i]:-?} at the end"; fi
done

if [ "$fails" -gt 0 ]; then
  keep_run=1
  for log in "$run"/replica-1-run1.log "$run"/haproxy.err; do show_log "${log#"$run"/}" "$log"; done
  echo "$me: FAILED: $fails check(s)" >&2
  exit 1
fi
say "PASSED ($(($(ms) - t_start)) ms from the load's start to the end)"
