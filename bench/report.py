#!/usr/bin/env python3
"""bench/report.py: bench/run's table, targets and JSON.

    report.py --results RESULTS.jsonl [--out FILE.json ...]   (bench/run)
    report.py --from bench/results/latest.json [--markdown]   (print a saved run)
    ... --chart FILE.svg                                      (and draw it: CPU per
                                                               request and requests/s
                                                               per workload and system)
    report.py --h2load OUT LOG MEASURE_START_US SECONDS       (W5: h2load's result
                                                               as wrk's BENCH_JSON)

bench/run passes the machine and the settings in BENCH_MACHINE_JSON and
BENCH_SETTINGS_JSON. A record with "status": "skipped" is a measurement bench/run
did not make (over its time budget, or the run cut short): it is shown as such,
and what depends on it says it was not measured. Exit status: 0 every target
met, 1 a target missed or not measured, 2 bad input (or --chart without
matplotlib, Debian's python3-matplotlib; only --chart needs it).
"""
import argparse
import datetime
import json
import os
import statistics
import sys

# "baseline": another gateway binary (bench/run BASELINE=...), compared like a peer
PEERS = ("haproxy", "nginx", "baseline")


def derive(r):
    """Adds rps, p50/p99 in ms, errors and peak RSS in MiB to a load record."""
    if r.get("kind") != "load" or r.get("status") != "ok":
        return r
    w = r["stats"]
    secs = w["duration_us"] / 1e6
    r["rps"] = round(w["requests"] / secs, 1) if secs else 0.0
    r["p50_ms"] = round(w["p50_us"] / 1000, 3)
    r["p99_ms"] = round(w["p99_us"] / 1000, 3)
    r["socket_errors"] = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"]
    r["errors"] = r["socket_errors"] + w["non2xx"] + w["bad_body"]
    r["peak_rss_mib"] = round(r["peak_rss_kib"] / 1024, 1)
    # the system's own CPU per request (user + system time over the run)
    if r.get("cpu_ticks") is not None and w["requests"]:
        r["cpu_us_per_req"] = round(r["cpu_ticks"] / r["clk_tck"] * 1e6 / w["requests"], 1)
    # W9: Redis's CPU per request; the fleet's load balancer (HAProxy) apart from
    # its replicas (cpu_ticks is the whole set)
    for k in ("redis", "lb"):
        if r.get(f"{k}_cpu_ticks") is not None and w["requests"]:
            r[f"{k}_cpu_us_per_req"] = round(r[f"{k}_cpu_ticks"] / r["clk_tck"] * 1e6 / w["requests"], 1)
    # W9: per request, the gateway's calls to Redis (scripts), the commands Redis
    # ran (the scripts' own included) and its socket reads (each bringing one or
    # more pipelined calls), read around the measured run like the CPU
    for k in ("scripts", "commands", "reads"):
        if r.get(f"redis_{k}") is not None and w["requests"]:
            r[f"redis_{k}_per_req"] = round(r[f"redis_{k}"] / w["requests"], 2)
    return r


def derive_hold(r):
    if r.get("kind") != "hold" or r.get("status") != "ok":
        return r
    h = r["hold"]
    n = r["conns"]
    r["kib_per_conn"] = round((r["rss_held_kib"] - r["rss_before_kib"]) / n, 2) if n else None
    r["held_ok"] = h.get("held_2xx", 0)
    r["errors"] = h.get("errors", 0) + h.get("non2xx", 0)
    return r


def summarize(results):
    """bench/run measures W1 and W2 in rounds (ROUNDS; each round runs every
    system once, in a rotated order). A system's rounds of one workload become
    one record of their medians (requests/s, latencies, CPU per request; errors
    added up, the largest peak RSS); the rounds stay in the results as measured.
    Records without a round pass through unchanged."""
    out, groups = [], {}
    for r in results:
        if r.get("kind") == "load" and r.get("round") is not None:
            key = (r["workload"], r["system"], r["threads"], r["conns"], r["tls"])
            if key not in groups:
                groups[key] = []
                out.append(key)
            groups[key].append(r)
        else:
            out.append(r)
    return [merge_rounds(groups[x]) if isinstance(x, tuple) else x for x in out]


def merge_rounds(rounds):
    """The rounds skipped (over the budget, or the run cut short) are left out:
    the rounds made still count. A round n/a or failed makes the whole n/a or
    failed, as before."""
    made = [r for r in rounds if not skipped(r)]
    if not made:
        return {k: v for k, v in rounds[0].items() if k != "round"} if len(rounds) > 1 else rounds[0]
    n_skipped = len(rounds) - len(made)
    rounds = made
    if len(rounds) == 1 and not n_skipped:
        return rounds[0]
    bad = [r for r in rounds if not ok(r)]
    if bad:
        return dict(bad[0], reason=f"round {bad[0]['round']}: {bad[0].get('reason', bad[0]['status'])}")
    med = lambda k: statistics.median(r[k] for r in rounds)
    m = {k: rounds[0][k] for k in ("kind", "workload", "system", "threads", "conns", "tls", "path", "tool",
                                   "status", "tls_negotiated")}
    m.update(rps=round(med("rps"), 1), p50_ms=round(med("p50_ms"), 3), p99_ms=round(med("p99_ms"), 3),
             errors=sum(r["errors"] for r in rounds), socket_errors=sum(r["socket_errors"] for r in rounds),
             peak_rss_kib=max(r["peak_rss_kib"] for r in rounds), alive=all(r["alive"] for r in rounds),
             stats={"connects_in_window": any(r["stats"].get("connects_in_window") for r in rounds)},
             rounds={"n": len(rounds), "skipped": n_skipped, "rps": [r["rps"] for r in rounds],
                     "p99_ms": [r["p99_ms"] for r in rounds]})
    m["peak_rss_mib"] = round(m["peak_rss_kib"] / 1024, 1)
    per_req = ("redis_scripts_per_req", "redis_commands_per_req", "redis_reads_per_req")
    for k in ("cpu_us_per_req", "redis_cpu_us_per_req") + per_req:
        # (a per-request rate may be 0: W9's leases leave few Redis calls)
        if all(r.get(k) is not None for r in rounds) and (k in per_req or all(r.get(k) for r in rounds)):
            m[k] = round(med(k), 2 if k in per_req else 1)
    # W9: fallbacks and Redis errors added up over the rounds
    for k in ("redis_fallbacks", "redis_errors", "rate_limited"):
        if all(k in r for r in rounds):
            m[k] = sum(r[k] for r in rounds)
    if all(r.get("cpu_us_per_req") for r in rounds):
        m["rounds"]["cpu_us_per_req"] = [r["cpu_us_per_req"] for r in rounds]
    return m


def find(results, **kw):
    for r in results:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def ok(r):
    return r is not None and r.get("status") == "ok"


def skipped(r):
    return r is not None and r.get("status") == "skipped"


def label(r):
    """A measurement in a few words: "W1 haproxy round 2", "W5 hold gateway 10000 TLS"."""
    words = [r.get("workload", "?")] + (["hold"] if r.get("kind") == "hold" else []) + [r.get("system", "?")]
    if r.get("workload") == "W5":
        words += [str(r.get("conns")), "TLS" if r.get("tls") else "plain"]
    if r.get("workload") == "W6":
        words.append(f"{r.get('threads')} thread{'s' if r.get('threads') != 1 else ''}")
    if r.get("system") == "fleet":
        words[-1] = "fleet (3 replicas behind HAProxy)"
    if r.get("round") is not None:
        words.append(f"round {r['round']}")
    return " ".join(words)


def why_not(r):
    """Why a record has no numbers: absent from the run, skipped, n/a or failed."""
    if r is None:
        return "not measured"
    if skipped(r):
        return f"not measured: {label(r)} skipped ({r.get('reason', '')})"
    return f"{r['workload']} {r['system']}: {r.get('status')}: {r.get('reason', '')}"


def ratio(a, b):
    return round(a / b, 3) if b else None


def w1_of(results, system, threads):
    """A system's W1 at the run's thread count (W6 repeats W1 at others)."""
    return find(results, kind="load", workload="W1", system=system, threads=threads)


def ceiling_pair(results, w, system, threads):
    """A system's relay ceiling run for W3 or W4 (W3r, W4r) and its own W1."""
    return find(results, kind="load", workload=w + "r", system=system), w1_of(results, system, threads)


def add_ceiling(t, results, w, threads):
    """Beside the W3/W4 target, each system's W3r/W1 (W4r/W1): the most the
    ratio can be on this machine when the proxy does none of the adapter's work."""
    ceiling = {}
    for system in ("gateway",) + PEERS:
        r, own_w1 = ceiling_pair(results, w, system, threads)
        if ok(r) and ok(own_w1):
            ceiling[system] = ratio(r["rps"], own_w1["rps"])
    if ceiling:
        t["relay_ceiling"] = {"workload": w + "r", "over_own_w1": ceiling}


def compute(results, settings):
    """Ratios and targets from one run (its rounds summarized)."""
    results = summarize(results)
    threads = settings.get("threads", 2)
    ratios, targets = [], []

    def gw(w, **kw):
        return find(results, kind="load", workload=w, system="gateway", **kw)

    for w in ("W1", "W2"):
        g = gw(w, threads=threads)
        for p in PEERS:
            pr = find(results, kind="load", workload=w, system=p)
            if ok(g) and ok(pr):
                ratios.append({"what": f"{w} gateway/{p}", "rps": ratio(g["rps"], pr["rps"]),
                               "p99": ratio(g["p99_ms"], pr["p99_ms"])})
    w1 = w1_of(results, "gateway", threads)
    for w in ("W3", "W3q", "W4"):
        g = gw(w)
        if ok(g) and ok(w1):
            ratios.append({"what": f"{w} gateway/gateway W1", "rps": ratio(g["rps"], w1["rps"]),
                           "p99": ratio(g["p99_ms"], w1["p99_ms"])})
        relayed = gw(w + "r")
        if ok(g) and ok(relayed):
            ratios.append({"what": f"{w} gateway/gateway {w}r", "rps": ratio(g["rps"], relayed["rps"]),
                           "p99": ratio(g["p99_ms"], relayed["p99_ms"])})
        for system in ("gateway",) + PEERS:
            r, own_w1 = ceiling_pair(results, w, system, threads)
            if ok(r) and ok(own_w1):
                ratios.append({"what": f"{w}r {system}/{system} W1", "rps": ratio(r["rps"], own_w1["rps"]),
                               "p99": ratio(r["p99_ms"], own_w1["p99_ms"])})
    # The query's cost beyond its upstream's: W3q/W3qr beside W3/W3r.
    q, qr, plain, plain_r = gw("W3q"), gw("W3qr"), gw("W3"), gw("W3r")
    if ok(q) and ok(qr) and ok(plain) and ok(plain_r) and all(
            r["rps"] and r["p99_ms"] for r in (q, qr, plain, plain_r)):
        ratios.append({"what": "W3q/W3qr over W3/W3r (1.0: a query costs the gateway nothing beyond its upstream)",
                       "rps": ratio(ratio(q["rps"], qr["rps"]), ratio(plain["rps"], plain_r["rps"])),
                       "p99": ratio(ratio(q["p99_ms"], qr["p99_ms"]), ratio(plain["p99_ms"], plain_r["p99_ms"]))})
    # W9: W1 through a Redis-backed limit, beside W1 of the same rounds; its
    # fleet (3 replicas behind HAProxy) beside the one gateway's W1
    w9 = gw("W9", threads=threads)
    if ok(w9) and ok(w1):
        ratios.append({"what": "W9 gateway/gateway W1", "rps": ratio(w9["rps"], w1["rps"]),
                       "p99": ratio(w9["p99_ms"], w1["p99_ms"]),
                       "cpu": ratio(w9.get("cpu_us_per_req"), w1.get("cpu_us_per_req"))
                       if w9.get("cpu_us_per_req") and w1.get("cpu_us_per_req") else None})
    fleet = find(results, kind="load", workload="W9", system="fleet")
    if ok(fleet) and ok(w1):
        ratios.append({"what": "W9 fleet/gateway W1", "rps": ratio(fleet["rps"], w1["rps"]),
                       "p99": ratio(fleet["p99_ms"], w1["p99_ms"])})
    t1, t2 = gw("W6", threads=1), gw("W6", threads=2)
    if ok(t1) and ok(t2):
        ratios.append({"what": "W6 gateway 1 thread/2 threads", "rps": ratio(t1["rps"], t2["rps"]),
                       "p99": ratio(t1["p99_ms"], t2["p99_ms"])})
    for r in results:
        if r.get("kind") == "load" and r["workload"] == "W5" and r["system"] == "gateway" and ok(r):
            for p in PEERS:
                pr = find(results, kind="load", workload="W5", system=p, conns=r["conns"], tls=r["tls"])
                if ok(pr):
                    ratios.append({"what": f"W5 {r['conns']} {'TLS' if r['tls'] else 'plain'} gateway/{p}",
                                   "rps": ratio(r["rps"], pr["rps"]), "p99": ratio(r["p99_ms"], pr["p99_ms"])})

    def target(name, met, value, why=None):
        t = {"target": name, "met": bool(met), "value": value}
        if why:
            t["why"] = why
        targets.append(t)

    def ratio_target(name, a, b, at_least, field="rps"):
        if not ok(a) or not ok(b):
            target(name, False, None, why_not(a if not ok(a) else b))
            return
        v = ratio(a[field], b[field])
        target(name, v is not None and v >= at_least, v)

    hap1 = find(results, kind="load", workload="W1", system="haproxy")
    hap2 = find(results, kind="load", workload="W2", system="haproxy")
    ratio_target("W1 requests/s >= 1.1 x HAProxy's", w1, hap1, 1.1)
    if ok(w1) and ok(hap1):
        target("W1 p99 <= HAProxy's", w1["p99_ms"] <= hap1["p99_ms"], f"{w1['p99_ms']} ms vs {hap1['p99_ms']} ms")
    else:
        target("W1 p99 <= HAProxy's", False, None, why_not(w1 if not ok(w1) else hap1))
    ratio_target("W2 requests/s >= 1.0 x HAProxy's", gw("W2", threads=threads), hap2, 1.0)
    ratio_target("W3 requests/s >= 0.8 x gateway W1", gw("W3"), w1, 0.8)
    add_ceiling(targets[-1], results, "W3", threads)
    ratio_target("W4 requests/s >= 0.9 x gateway W1", gw("W4"), w1, 0.9)
    add_ceiling(targets[-1], results, "W4", threads)

    # W9's target, when the run was asked for W9
    if "W9" in settings.get("workloads", "").split() or w9 is not None:
        name = "W9 CPU/req <= 1.1 x gateway W1 (a Redis-backed limit that never trips)"
        if not ok(w9) or not ok(w1):
            target(name, False, None, why_not(w9 if not ok(w9) else w1))
        elif not w9.get("cpu_us_per_req") or not w1.get("cpu_us_per_req"):
            target(name, False, None, "CPU per request not measured")
        else:
            v = ratio(w9["cpu_us_per_req"], w1["cpu_us_per_req"])
            shown = f"{v} ({w9['cpu_us_per_req']} vs {w1['cpu_us_per_req']} µs"
            if w9.get("redis_cpu_us_per_req") is not None:
                shown += f"; Redis another {w9['redis_cpu_us_per_req']} µs"
            shown += ")"
            if w9.get("redis_fallbacks") or w9.get("redis_errors"):
                shown += f"; NOT all through Redis: {w9.get('redis_fallbacks')} fallbacks, " \
                         f"{w9.get('redis_errors')} Redis errors"
            target(name, v <= 1.1 and not w9.get("redis_fallbacks"), shown)

    holds = [r for r in results if r.get("kind") == "hold" and r["system"] == "gateway"]
    big = max([r["conns"] for r in holds] or [0])
    for tls in (False, True):
        h = next((r for r in holds if r["conns"] == big and r["tls"] == tls), None)
        how = "TLS" if tls else "plain"
        if h is None or not ok(h):
            why = why_not(h) if h is None or skipped(h) else h.get("reason")
            target(f"W5 {big or 10000} {how} connections held, no errors", False, None, why)
            target(f"W5 idle {how} connection <= {64 if tls else 16} KiB", False, None,
                   why if h is None or skipped(h) else "not measured")
            continue
        hh = h["hold"]
        held = hh.get("held_2xx", 0) == big and hh.get("first_2xx", 0) == big and hh.get("errors", 0) == 0
        load = find(results, kind="load", workload="W5", system="gateway", conns=big, tls=tls)
        load_clean = ok(load) and load["errors"] == 0
        target(f"W5 {big} {how} connections held, no errors", held and load_clean,
               f"held {hh.get('held_2xx', 0)}/{big}, hold errors {hh.get('errors', 0)}, "
               + (f"load errors {load['errors']}" if ok(load) else
                  f"load {why_not(load)}" if load is None or skipped(load) else "load errors n/a"))
        limit = 64 if tls else 16
        target(f"W5 idle {how} connection <= {limit} KiB", h["kib_per_conn"] <= limit, h["kib_per_conn"])
    if big < 10000:
        made = max([r["conns"] for r in holds if not skipped(r)] or [0])
        target("W5 at 10,000 connections", False, None, f"largest measured: {made or 'none'}")

    # over what the gateway was measured in; what was skipped is said, not judged
    gateway = [r for r in results if r["system"] in ("gateway", "fleet")]
    n_skipped = sum(1 for r in gateway if skipped(r))
    dirty = [f"{r['workload']} {r.get('conns')}c{' TLS' if r.get('tls') else ''}"
             f"{' t' + str(r['threads']) if r['workload'] == 'W6' else ''}: "
             f"{r.get('errors', r.get('status'))}"
             for r in gateway if r.get("status") not in ("n/a", "skipped")
             and (not ok(r) or r.get("errors", 0) != 0 or not r.get("alive", True))]
    name = "gateway: no errors, no non-2xx, no crash in any workload"
    if n_skipped == len(gateway):
        target(name, False, None, f"not measured: all {n_skipped} of the gateway's measurements skipped"
               if gateway else "not measured")
    else:
        target(name, not dirty, ("none" if not dirty else "; ".join(dirty)) +
               (f" ({n_skipped} of the gateway's measurements skipped, not measured)" if n_skipped else ""))
    return ratios, targets


def rfmt(v):
    return "-" if v is None else f"{v:.2f}"


def fmt(v, spec="{:.0f}"):
    return "-" if v is None else spec.format(v)


def rows(doc):
    results = summarize(doc["results"])
    threads = doc["settings"].get("threads", 2)
    gw_w1 = w1_of(results, "gateway", threads)
    t2 = find(results, kind="load", workload="W6", system="gateway", threads=2)
    out = []
    for r in results:
        if r.get("kind") != "load":
            continue
        what = r["workload"] + (" TLS" if r["tls"] else "")
        compare = ""
        if ok(r):
            if r["system"] in PEERS:
                g = find(results, kind="load", workload=r["workload"], system="gateway",
                         conns=r["conns"], tls=r["tls"])
                if ok(g):
                    compare = f"gw/{r['system']}: {rfmt(ratio(g['rps'], r['rps']))} rps, " \
                              f"{rfmt(ratio(g['p99_ms'], r['p99_ms']))} p99"
                    if g.get("cpu_us_per_req") and r.get("cpu_us_per_req"):
                        compare += f", {rfmt(ratio(g['cpu_us_per_req'], r['cpu_us_per_req']))} CPU/req"
            elif r["workload"] in ("W3", "W3q", "W4") and ok(gw_w1):
                compare = f"/gw W1: {rfmt(ratio(r['rps'], gw_w1['rps']))} rps"
                if r.get("cpu_us_per_req") and gw_w1.get("cpu_us_per_req"):
                    compare += f", {rfmt(ratio(r['cpu_us_per_req'], gw_w1['cpu_us_per_req']))} CPU/req"
                relayed = find(results, kind="load", workload=r["workload"] + "r", system="gateway")
                if ok(relayed):
                    compare += f"; /gw {r['workload']}r: {rfmt(ratio(r['rps'], relayed['rps']))} rps"
            elif r["workload"] == "W9" and ok(gw_w1):
                parts = []
                if r["system"] == "fleet":
                    parts.append(f"3 replicas x {r['threads']} thread, HAProxy {threads}")
                parts.append(f"/gw W1: {rfmt(ratio(r['rps'], gw_w1['rps']))} rps")
                if r.get("cpu_us_per_req") and gw_w1.get("cpu_us_per_req"):
                    parts[-1] += f", {rfmt(ratio(r['cpu_us_per_req'], gw_w1['cpu_us_per_req']))} CPU/req"
                if r.get("lb_cpu_us_per_req") is not None and r.get("cpu_us_per_req") is not None:
                    parts.append(f"CPU µs/req: HAProxy {r['lb_cpu_us_per_req']}, replicas "
                                 f"{round(r['cpu_us_per_req'] - r['lb_cpu_us_per_req'], 1)}")
                if r.get("redis_cpu_us_per_req") is not None:
                    parts.append(f"Redis {r['redis_cpu_us_per_req']} µs/req")
                if r.get("redis_scripts_per_req") is not None:
                    parts[-1] += f"; per request {r['redis_scripts_per_req']} calls ({r['redis_commands_per_req']} " \
                                 f"commands), {r['redis_reads_per_req']} Redis reads"
                if r.get("redis_fallbacks") or r.get("redis_errors"):
                    parts.append(f"{r.get('redis_fallbacks')} fallbacks, {r.get('redis_errors')} Redis errors")
                compare = "; ".join(parts)
            elif r["workload"] == "W6" and r["threads"] == 1 and ok(t2):
                compare = f"/2 threads: {rfmt(ratio(r['rps'], t2['rps']))} rps"
        if ok(r) and r["workload"] == "W8":
            st = r["stats"]
            total = st.get("requests") or 0
            good = total - st.get("non2xx", 0) - st.get("bad_body", 0)
            w8 = f"2xx: {100.0 * good / total:.2f} % of {total}" if total else "no requests"
            if r.get("upstream_requests") and total:
                w8 += f"; upstream requests per client request: {r['upstream_requests'] / total:.3f}"
            compare = w8 + ("; " + compare if compare else "")
        if ok(r) and r["workload"] in ("W3r", "W3qr", "W4r"):
            own_w1 = w1_of(results, r["system"], threads)
            if ok(own_w1):
                own = f"/own W1: {rfmt(ratio(r['rps'], own_w1['rps']))} rps"
                compare = own + ("; " + compare if compare else "")
        if ok(r) and r.get("rounds"):
            rr = r["rounds"]
            if rr["n"] > 1:
                note = f"median of {rr['n']} rounds, {fmt(min(rr['rps']))}-{fmt(max(rr['rps']))} rps"
            else:
                note = "1 round"
            if rr.get("skipped"):
                note += f" ({rr['skipped']} skipped)"
            compare = (compare + "; " if compare else "") + note
        if ok(r) and r["stats"].get("connects_in_window"):
            compare = (compare + "; " if compare else "") + "connections still being made in the window"
        if ok(r):
            out.append([what, r["system"], str(r["threads"]), str(r["conns"]), fmt(r["rps"]),
                        fmt(r["p50_ms"], "{:.2f}"), fmt(r["p99_ms"], "{:.2f}"), str(r["errors"]),
                        fmt(r["peak_rss_mib"], "{:.1f}"), fmt(r.get("cpu_us_per_req"), "{:.1f}"), compare])
        else:
            out.append([what, r["system"], str(r["threads"]), str(r["conns"]), r["status"].upper(),
                        "-", "-", "-", "-", "-", (r.get("reason") or "")[:70]])
    return out


def hold_rows(doc):
    out = []
    for r in doc["results"]:
        if r.get("kind") != "hold":
            continue
        how = "TLS" if r["tls"] else "plain"
        if ok(r):
            h = r["hold"]
            out.append([r["system"], str(r["conns"]), how, fmt(r["rss_before_kib"] / 1024, "{:.1f}"),
                        fmt(r["rss_held_kib"] / 1024, "{:.1f}"), fmt(r["kib_per_conn"], "{:.1f}"),
                        f"{h.get('held_2xx', 0)}/{r['conns']}", str(r["errors"])])
        else:
            out.append([r["system"], str(r["conns"]), how, r.get("status", "failed").upper(), "-", "-", "-",
                        (r.get("reason") or "")[:70]])
    return out


LOAD_HEAD = ["workload", "system", "thr", "conns", "req/s", "p50 ms", "p99 ms", "errors", "peak RSS MiB",
             "CPU µs/req", "ratio"]
HOLD_HEAD = ["system", "conns", "", "RSS before MiB", "RSS held MiB", "KiB/conn", "2xx after hold",
             "errors"]


def text_table(head, body):
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(b) for b in body])


def md_table(head, body):
    line = lambda cells: "| " + " | ".join(c if c else " " for c in cells) + " |"
    return "\n".join([line(head), line(["---"] * len(head))] + [line(b) for b in body])


def render(doc, markdown=False):
    table = md_table if markdown else text_table
    m, s = doc["machine"], doc["settings"]
    parts = []
    parts.append(f"bench/run {doc['date']} on {m.get('host')}: {m.get('nproc')} x {m.get('cpu')}, "
                 f"{m.get('memory')}, Linux {m.get('kernel')}, {m.get('os')}; gateway {m.get('gateway_commit')}; "
                 f"{m.get('haproxy')}; {m.get('nginx')}; {m.get('wrk')}")
    parts.append(f"{s.get('threads')} proxy threads, {s.get('conns')} connections (W5: "
                 f"{', '.join(str(c) for c in s.get('w5_conns', []))}), wrk {s.get('wrk_threads')} threads, "
                 f"{s.get('warmup_s')} s warm-up + {s.get('duration_s')} s per run; "
                 + (f"W1, W2: {s['rounds']} rounds, each system's medians; " if s.get("rounds", 1) > 1 else "") +
                 f"ran {m.get('elapsed_seconds')} s"
                 + (f" of a {s['budget_s']} s budget" if s.get("budget_s") else ""))
    if m.get("cut_short") or m.get("skipped"):
        n = len(m.get("skipped") or [])
        said = [f"CUT SHORT ({m['cut_short']})"] if m.get("cut_short") else []
        if n:
            said.append(f"{n} measurement{'' if n == 1 else 's'} skipped, not measured" +
                        (": " + ", ".join(m["skipped"]) if n <= 12 else " (SKIPPED in the table)"))
        parts.append("; ".join(said))
    tls = [f"{r['system']} {r['tls_negotiated']}" for r in summarize(doc["results"])
           if r.get("kind") == "load" and r["workload"] == "W2" and r.get("tls_negotiated")]
    if tls:
        parts.append("TLS negotiated with wrk: " + "; ".join(tls))
    parts.append("W1-W4, W6: wrk, latency from its histogram; W5: h2load, after a warm-up that makes "
                 "the connections, latency from its request log")
    if any(r.get("workload") in ("W3r", "W4r") for r in doc["results"]):
        parts.append("W3r/W4r: W3's/W4's upstream requests relayed as plain pass-throughs with fixed "
                     "credentials (no adapter work): each system's W3r/W1 and W4r/W1 bound W3/W1 and W4/W1 "
                     "on this machine")
    if any(r.get("workload") == "W9" for r in doc["results"]):
        parts.append("W9: W1 through a client rate limit kept in Redis that never trips (its tokens taken "
                     "from Redis in leases), in W1's rounds; the fleet: 3 replicas (1 thread each) behind HAProxy, the same "
                     "Redis; CPU µs/req of the whole set (HAProxy + replicas), Redis's apart")
    if markdown:
        parts[:] = ["- " + p for p in parts]
    parts.append("")
    parts.append(table(LOAD_HEAD, rows(doc)))
    hr = hold_rows(doc)
    if hr:
        parts.append("")
        parts.append("W5 idle keep-alive connections (one request served on each, then held):")
        parts.append("")
        parts.append(table(HOLD_HEAD, hr))
    parts.append("")
    parts.append("Targets:")
    parts.append("")
    for t in doc["targets"]:
        v = t["value"] if t["value"] is not None else t.get("why", "")
        c = t.get("relay_ceiling")
        if c:
            v = f"{v} (relay ceiling, {c['workload']}/W1: " + \
                ", ".join(f"{s} {rfmt(x)}" for s, x in c["over_own_w1"].items()) + ")"
        parts.append(f"{'- ' if markdown else '  '}{'MET   ' if t['met'] else 'MISSED'} {t['target']}: {v}")
    return "\n".join(parts)


# --- the chart (--chart FILE.svg) ------------------------------------------------------
# The comparison with the peers as a picture: per workload, each system's CPU per
# request and its requests/s, from the same records as the table (the rounds'
# medians). matplotlib (Debian's python3-matplotlib) is imported only here.

CHART_SYSTEMS = ("gateway",) + PEERS
CHART_NAMES = {"gateway": "gateway", "haproxy": "HAProxy", "nginx": "nginx", "baseline": "baseline"}
CHART_COLORS = {"gateway": "#1f77b4", "haproxy": "#ff7f0e", "nginx": "#2ca02c", "baseline": "#7f7f7f"}


def import_pyplot():
    """matplotlib's pyplot on the Agg backend, or a one-line error (exit 2)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"report.py: --chart needs matplotlib, which {sys.executable} cannot import ({e}; "
              f"Debian's python3-matplotlib, scripts/install-deps --bench)", file=sys.stderr)
        raise SystemExit(2)
    return plt


def chart_groups(doc):
    """The load records of the systems compared, grouped by workload (W5 by its
    connections and TLS, W6 by its threads), in workload order: [(label, [record])]."""
    s = doc["settings"]
    threads, conns = s.get("threads", 2), s.get("conns", 64)
    groups = {}
    for r in summarize(doc["results"]):
        if r.get("kind") != "load" or r.get("system") not in CHART_SYSTEMS:
            continue
        key = (r["workload"], r.get("conns"), bool(r.get("tls")), r.get("threads") if r["workload"] == "W6" else None)
        groups.setdefault(key, []).append(r)

    def order(key):
        w, n, tls, thr = key
        digits = "".join(c for c in w if c.isdigit())
        rest = w[1 + len(digits):]
        return (int(digits or 0), rest.rstrip("r"), rest.endswith("r"), n or 0, tls, thr or 0)

    out = []
    for key in sorted(groups, key=order):
        w, n, tls, thr = key
        second = []
        if n is not None and n != conns:
            second.append(f"{n:,} conns")
        if tls:
            second.append("TLS")
        if thr is not None:
            second.append(f"{thr} thread{'' if thr == 1 else 's'}")
        elif any(r.get("threads") != threads for r in groups[key]):
            second.append(f"{groups[key][0].get('threads')} threads")
        records = sorted(groups[key], key=lambda r: CHART_SYSTEMS.index(r["system"]))
        out.append((w + ("\n" + " ".join(second) if second else ""), records))
    return out


def chart_title(doc):
    m, s = doc["machine"], doc["settings"]
    when = doc.get("date", "?").replace("T", " ").replace("Z", " UTC")
    peers = [CHART_NAMES[p] for p in PEERS if any(r.get("system") == p for r in doc["results"])]
    peers = ", ".join(peers[:-1]) + " and " + peers[-1] if len(peers) > 1 else "".join(peers)
    first = (f"backup-gateway beside {peers}: " if peers else "backup-gateway: ") + \
        f"bench/run {when} on {m.get('host', '?')}"
    detail = []
    if m.get("nproc") or m.get("cpu"):
        detail.append(f"{m.get('nproc', '?')} x {m.get('cpu', '?')}")
    detail.append(f"{s.get('threads', '?')} proxy threads, {s.get('conns', '?')} connections")
    if m.get("gateway_commit"):
        detail.append(f"gateway {m['gateway_commit']}")
    if m.get("cut_short"):
        detail.append(f"CUT SHORT ({m['cut_short']})")
    return first + "\n" + "; ".join(detail)


def write_chart(doc, path):
    """Writes the chart as SVG to path (through a temporary file). The same doc
    gives the same bytes: a fixed svg.hashsalt, no date in the metadata."""
    plt = import_pyplot()
    from matplotlib.ticker import FuncFormatter
    plt.rcParams.update({"svg.hashsalt": "backup-gateway bench/report.py", "svg.fonttype": "path",
                         "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    groups = chart_groups(doc)
    present = [s for s in CHART_SYSTEMS if any(r["system"] == s for _, rs in groups for r in rs)]
    width = 0.8 / max([len(rs) for _, rs in groups] or [1])
    panels = (("cpu_us_per_req", "CPU µs per request\n(lower is better)", lambda v: f"{v:.1f}",
               "cpu_us_per_req"),
              ("rps", "requests/s\n(higher is better)", lambda v: f"{v / 1000:.1f}k", "rps"))
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 1.0 * len(groups) + 2.0), 7.5), sharex=True)
    notes, no_metric = [], {}
    for ax, (field, ylabel, shown, round_field) in zip(axes, panels):
        top = max([r[field] for _, rs in groups for r in rs if ok(r) and r.get(field) is not None] or [1.0])
        for i, (glabel, rs) in enumerate(groups):
            xs = [i + (j - (len(rs) - 1) / 2) * width for j in range(len(rs))]
            missing = [(x, r) for x, r in zip(xs, rs) if not ok(r) or r.get(field) is None]
            for x, r in zip(xs, rs):
                if not ok(r) or r.get(field) is None:
                    continue
                v = r[field]
                spread = (r.get("rounds") or {}).get(round_field) or []
                err = None
                if len(spread) > 1:
                    err = [[v - min(spread)], [max(spread) - v]]
                ax.bar(x, v, width * 0.92, color=CHART_COLORS[r["system"]], yerr=err,
                       error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
                ax.text(x, (max(spread) if len(spread) > 1 else v) + top * 0.015, shown(v),
                        ha="center", va="bottom", fontsize=6.5, rotation=90)
            if not missing:
                continue
            # not measured: no bar (never a zero), the reason where the bar would be
            if len(missing) == len(rs) and all(ok(r) for _, r in missing):
                ax.text(i, top * 0.04, "not\nmeasured", ha="center", va="bottom", fontsize=7, color="#555555")
                no_metric.setdefault(field, []).append(glabel.replace("\n", " "))
                continue
            for x, r in missing:
                word = "not measured" if ok(r) else r.get("status", "failed")
                ax.text(x, top * 0.04, word, ha="center", va="bottom", fontsize=6.5, rotation=90, color="#b00000")
                if ok(r):
                    no_metric.setdefault(field, []).append(f"{glabel.replace(chr(10), ' ')} {r['system']}")
                elif field == "rps":
                    notes.append(f"{glabel.replace(chr(10), ' ')} {CHART_NAMES[r['system']]}: {r.get('status')}"
                                 + (f" ({r['reason'][:60]})" if r.get("reason") else ""))
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, top * 1.18)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        if field == "rps":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0"))
    axes[-1].set_xticks(range(len(groups)))
    axes[-1].set_xticklabels([g for g, _ in groups])
    axes[-1].set_xlim(-0.6, max(len(groups) - 0.4, 0.6))
    if not groups:
        axes[0].text(0.5, 0.5, "no load measurements in this run", transform=axes[0].transAxes, ha="center")
    handles = [plt.Rectangle((0, 0), 1, 1, color=CHART_COLORS[s]) for s in present]
    fig.legend(handles, [CHART_NAMES[s] for s in present], loc="upper right", ncol=len(present) or 1,
               frameon=False, bbox_to_anchor=(0.995, 0.995))
    fig.suptitle(chart_title(doc), x=0.01, y=0.99, ha="left", va="top", fontsize=10)
    foot = []
    rounds = sorted({r["rounds"]["n"] for _, rs in groups for r in rs if ok(r) and r.get("rounds")})
    if rounds:
        ws = sorted({r["workload"] for _, rs in groups for r in rs if ok(r) and r.get("rounds")})
        foot.append(f"{', '.join(ws)}: each system's median of {'/'.join(str(n) for n in rounds)} rounds, "
                    f"the whiskers their range; the others one run each.")
    foot.append("CPU: the system's own user + system time over the measured run, per request "
                "(wrk and backup-sim share the cores and are not counted).")
    for field, what in (("cpu_us_per_req", "no CPU figure"), ("rps", "no requests/s")):
        if no_metric.get(field):
            foot.append(f"Not measured, {what}: {', '.join(no_metric[field])}.")
    if notes:
        shown_notes = notes[:6] + ([f"{len(notes) - 6} more"] if len(notes) > 6 else [])
        foot.append("Not measured (skipped or failed, no bar): " + "; ".join(shown_notes) + ".")
    fig.text(0.01, 0.01, "\n".join(foot), ha="left", va="bottom", fontsize=7.5, color="#333333")
    fig.tight_layout(rect=(0, 0.015 + 0.02 * len(foot), 1, 0.99))
    tmp = path + ".tmp"
    fig.savefig(tmp, format="svg", metadata={"Date": None})
    plt.close(fig)
    os.replace(tmp, path)


def to_us(text):
    for unit, f in (("us", 1), ("ms", 1000), ("s", 1000000)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * f
    raise ValueError(text)


def h2load_stats(out_path, log_path, start_us, seconds):
    """h2load's summary and per-request log, as report.lua's fields. Latency
    percentiles come from the log's requests started after the warm-up."""
    import re
    with open(out_path, errors="replace") as f:
        out = f.read()
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", out)
    c = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if not m or not c:
        raise SystemExit("h2load printed no summary")
    total, started, done, succeeded, failed, errored, timeout = map(int, m.groups())
    s2, s3, s4, s5 = map(int, c.groups())
    conn = re.search(r"time for connect:\s+(\S+)\s+(\S+)", out)
    lat = []
    with open(log_path) as f:
        for line in f:
            p = line.split("\t")
            if len(p) >= 3 and int(p[0]) >= start_us:
                lat.append(int(p[2]))
    lat.sort()
    pct = lambda q: lat[min(len(lat) - 1, int(q / 100 * len(lat)))] if lat else 0
    return {"requests": done, "duration_us": int(seconds * 1000000), "bytes": 0,
            "connect_errors": 0, "read_errors": errored, "write_errors": 0, "timeouts": timeout,
            "status_ge_400": s4 + s5, "non2xx": s3 + s4 + s5, "bad_body": 0,
            "status_3xx": s3, "status_4xx": s4, "status_5xx": s5,
            "failed": failed, "unfinished": started - done,
            "mean_us": round(sum(lat) / len(lat), 1) if lat else 0.0,
            "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99), "p999_us": pct(99.9),
            "max_us": lat[-1] if lat else 0, "logged": len(lat),
            "connects_in_window": bool(conn and to_us(conn.group(2)) > 0)}


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--h2load":
        print(json.dumps(h2load_stats(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--results")
    ap.add_argument("--from", dest="from_file")
    ap.add_argument("--out", action="append", default=[])
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--chart", metavar="FILE.svg")
    a = ap.parse_args()
    if a.chart:
        import_pyplot()  # no matplotlib: one line and exit 2, before anything is written
    if a.from_file:
        with open(a.from_file) as f:
            doc = json.load(f)
    elif a.results:
        with open(a.results) as f:
            results = [json.loads(line) for line in f if line.strip()]
        results = [derive_hold(derive(r)) for r in results]
        settings = json.loads(os.environ.get("BENCH_SETTINGS_JSON", "{}"))
        machine = json.loads(os.environ.get("BENCH_MACHINE_JSON", "{}"))
        ratios, targets = compute(results, settings)
        # whether the run measured all it was asked: the measurements it skipped
        # (over its budget, or after it was cut short) and why it was cut short
        machine["skipped"] = [label(r) for r in results if skipped(r)]
        machine["truncated"] = bool(machine.get("cut_short") or machine["skipped"])
        doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "machine": machine, "settings": settings, "results": results, "ratios": ratios,
               "targets": targets}
    else:
        ap.error("--results or --from")
        return 2
    print(render(doc, a.markdown))
    for path in a.out:
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"wrote {path}", file=sys.stderr)
    if a.chart:
        write_chart(doc, a.chart)
        print(f"wrote {a.chart}", file=sys.stderr)
    return 0 if all(t["met"] for t in doc["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
