# scripts/lib/processes.sh: the child-process helpers of the scripts that start
# and stop the gateway, backup-sim, Redis or HAProxy (scripts/cluster,
# tests/cluster/rolling_restart_test.sh, tests/metrics/promtool_test.sh).
# Sourced, not run. Each waits in steps of 0.1 s and never longer than asked.
# shellcheck shell=bash

alive() {  # alive PID: running (a zombie, exited but not yet waited for, is not)
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# reap PID SECONDS: waits up to SECONDS for PID to end, then kills it; its exit
# status in $reaped (not printed: `wait` must run in the caller's shell, not in a $(...))
# shellcheck disable=SC2034  # $reaped is read by the caller
reaped=""
reap() {
  local pid=$1
  for _ in $(seq 1 $(($2 * 10))); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  reaped=0
  # shellcheck disable=SC2034  # (read by the caller)
  wait "$pid" 2>/dev/null || reaped=$?
}

# halt PID SIGNAL SECONDS: asks PID to stop with SIGNAL, at most SECONDS, then kills it; reaps it
halt() {
  [ -n "$1" ] || return 0
  kill "-$2" "$1" 2>/dev/null || true
  reap "$1" "$3"
}

# wait_for FILE TEXT PID SECONDS: until FILE holds TEXT; fails when PID ends first
wait_for() {
  for _ in $(seq 1 $(($4 * 10))); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    alive "$3" || return 1
    sleep 0.1
  done
  return 1
}

show_log() {  # show_log WHAT FILE [LINES]: its last lines (15), on stderr
  echo "--- $1 ($2), last lines:" >&2
  tail -n "${3:-15}" "$2" >&2 2>/dev/null || true
}

# start_watchdog SECONDS: this shell gets SIGUSR1 after SECONDS (its USR1 trap
# stops what it started and fails), so that it ends by itself before a test
# runner's timeout could kill it and leave its children behind; the watchdog's
# own PID in $watchdog_pid (halt it when done).
start_watchdog() {
  ( trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$1" >/dev/null 2>&1 &
    sleeper=$!
    wait "$sleeper" && kill -USR1 $$ ) &
  # shellcheck disable=SC2034  # read by the caller
  watchdog_pid=$!
}

# fail_on_signals: the traps of a test that stops itself: EXIT runs the
# caller's on_exit; INT, TERM and the watchdog's USR1 end it as failed (exit 1,
# $keep_run set so that on_exit keeps its run's directory), naming why; a
# signal during the cleanup is noted, not obeyed. Uses the caller's $me, $limit, say().
fail_on_signals() {
  # shellcheck disable=SC2317  # run by the traps
  on_signal() {
    trap 'say "stopping already"' INT TERM USR1
    # shellcheck disable=SC2034  # read by the caller's on_exit
    keep_run=1
    # shellcheck disable=SC2154  # $me is the caller's
    echo "$me: $1: stopping; FAILED" >&2
    exit 1
  }
  trap on_exit EXIT
  trap 'on_signal interrupted' INT
  trap 'on_signal "stopped by SIGTERM"' TERM
  # shellcheck disable=SC2154  # $limit is the caller's
  trap 'on_signal "over its time limit of ${limit}s"' USR1
}
