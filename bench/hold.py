#!/usr/bin/env python3
"""bench/hold.py: opens N keep-alive connections to a proxy on loopback, sends
one request on each (so each is an idle keep-alive connection that has served a
request), then holds them all idle, then sends a second request on each to
check that every one is still open and answered 2xx.

    hold.py --port P [--tls] --conns N --path /sim/__sim/state --key K
            [--hold SECONDS] [--deadline SECONDS]

Between the two rounds it prints "HELD <n> <its pid>" on stdout and waits for
SIGUSR1 (or --hold seconds, whichever first), so that bench/run can read the
proxy's memory while the connections are idle. Last, it prints one line
"HOLD_JSON {...}". The whole run is bounded by --deadline.
"""
import argparse
import asyncio
import json
import os
import resource
import signal
import ssl
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--key", default="")
    p.add_argument("--hold", type=float, default=30.0)
    p.add_argument("--deadline", type=float, default=120.0)
    p.add_argument("--parallel", type=int, default=200, help="connections being opened at once")
    args = p.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        p.error("loopback only")
    return args


class Conn:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer


async def one_request(conn, request):
    """Sends the request, reads one answer; returns its status."""
    conn.writer.write(request)
    await conn.writer.drain()
    status_line = await conn.reader.readline()
    if not status_line:
        raise ConnectionError("closed by the server")
    parts = status_line.split()
    status = int(parts[1])
    length = None
    chunked = False
    while True:
        line = await conn.reader.readline()
        if not line:
            raise ConnectionError("closed in the headers")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await conn.reader.readline()).split(b";")[0], 16)
            await conn.reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await conn.reader.readexactly(length)
    return status


async def main():
    args = parse_args()
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    ctx = None
    if args.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    auth = f"Authorization: Bearer {args.key}\r\n" if args.key else ""
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n{auth}\r\n").encode()

    result = {"conns": args.conns, "tls": args.tls, "opened": 0, "first_2xx": 0, "held_2xx": 0,
              "non2xx": 0, "errors": 0, "first_error": None}
    conns = []
    sem = asyncio.Semaphore(args.parallel)

    def error(e):
        result["errors"] += 1
        if result["first_error"] is None:
            result["first_error"] = f"{type(e).__name__}: {e}"

    async def open_one():
        async with sem:
            try:
                reader, writer = await asyncio.open_connection(args.host, args.port, ssl=ctx,
                                                               limit=1 << 20)
                conn = Conn(reader, writer)
                result["opened"] += 1
                status = await one_request(conn, request)
                if 200 <= status < 300:
                    result["first_2xx"] += 1
                else:
                    result["non2xx"] += 1
                conns.append(conn)
            except Exception as e:  # counted, reported
                error(e)

    async def again(conn):
        async with sem:
            try:
                status = await one_request(conn, request)
                if 200 <= status < 300:
                    result["held_2xx"] += 1
                else:
                    result["non2xx"] += 1
            except Exception as e:
                error(e)

    t0 = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(args.conns)))
    result["open_seconds"] = round(time.monotonic() - t0, 2)

    release = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, release.set)
    print(f"HELD {len(conns)} {os.getpid()}", flush=True)
    try:
        await asyncio.wait_for(release.wait(), timeout=args.hold)
    except asyncio.TimeoutError:
        pass

    await asyncio.gather(*(again(c) for c in conns))
    for c in conns:
        c.writer.close()
    print("HOLD_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    args_deadline = 120.0
    for i, a in enumerate(sys.argv):
        if a == "--deadline" and i + 1 < len(sys.argv):
            args_deadline = float(sys.argv[i + 1])

    async def bounded():
        await asyncio.wait_for(main(), timeout=args_deadline)

    try:
        asyncio.run(bounded())
    except asyncio.TimeoutError:
        print("HOLD_JSON " + json.dumps({"error": "deadline"}), flush=True)
        sys.exit(1)
