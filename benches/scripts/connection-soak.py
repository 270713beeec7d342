#!/usr/bin/env python3
"""The connection limits under a flood, for docs/RELIABILITY.md: a mock with its default
settings takes thousands of idle or slow connections while wrk drives get_contact_way; the
gets' throughput and p99 are measured beside a run without the flood, RSS before, during and
after, and every dawdling connection must be closed by its own timeout.

    apt-get install -y wrk && cargo build --release -p wecom-mock
    ulimit -n 20000   # the flood and the mock each need a descriptor per connection
    benches/scripts/connection-soak.py target/release/wecom-mock [--connections 10000] [--secs 10]

The flood is four kinds in equal parts, each waiting for one timeout:
  silent    connects and sends nothing             -> --header-timeout (30 s)
  half      sends half a request head              -> --header-timeout (30 s)
  idle      one request, answered, then nothing    -> --idle-timeout (75 s)
  trickle   a head, then a body byte every 10 s    -> --body-timeout (60 s), answered 408
Everything stays on 127.0.0.1 and ends within the idle timeout plus --grace seconds. Standard
library only; prints one JSON object.
"""
import argparse
import json
import os
import selectors
import socket
import subprocess
import time
import urllib.request

KINDS = ("silent", "half", "idle", "trickle")
# The timeout that must close each kind, as /metrics names it.
REASON = {"silent": "header_timeout", "half": "header_timeout", "idle": "idle_timeout", "trickle": "body_timeout"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def http(base, path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()


def metrics(base):
    values = {}
    for line in http(base, "/metrics").decode().splitlines():
        if line.startswith("wecom_mock_connections"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def wrk(script, url, secs, conns):
    """req/s and p99 (ms) of a wrk run."""
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout

    def ms(value):
        for suffix, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
            if value.endswith(suffix):
                return float(value[: -len(suffix)]) * scale
        return float(value)

    rps = p99 = None
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["99%"]:
            p99 = ms(words[1])
        if line.startswith("Requests/sec:"):
            rps = float(words[1])
    return {"req_per_s": rps, "p99_ms": p99}


def open_flood(port, count, head_of_get):
    """Opens `count` connections, the kinds in turn; returns {socket: [kind, opened_at]}."""
    flood = {}
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if kind == "half":
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: mock\r\n")
        elif kind == "idle":
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: mock\r\n\r\n")
        elif kind == "trickle":
            s.sendall(head_of_get + b"{")
        s.setblocking(False)
        flood[s] = [kind, time.monotonic()]
    return flood


def flood_round(args, mock, port, base, path, script, head_of_get):
    """wrk without the flood, the flood, wrk beside it, then every close awaited; the figures."""
    result = {}
    counted_before = metrics(base)
    result["without_flood"] = wrk(script, base + path, args.secs, args.wrk_connections)
    time.sleep(1)
    result["rss_mib_before"] = round(rss_mib(mock.pid), 1)

    started = time.monotonic()
    flood = open_flood(port, args.connections, head_of_get)
    result["seconds_to_open"] = round(time.monotonic() - started, 1)
    time.sleep(2)
    result["open_during"] = metrics(base).get("wecom_mock_connections_open")
    result["rss_mib_during"] = round(rss_mib(mock.pid), 1)
    result["kib_per_connection"] = round((result["rss_mib_during"] - result["rss_mib_before"]) * 1024
                                         / args.connections, 1)
    result["with_flood"] = wrk(script, base + path, args.secs, args.wrk_connections)

    # Watch every socket until the mock closes it; trickle a body byte every 10 s.
    selector = selectors.DefaultSelector()
    for s in flood:
        selector.register(s, selectors.EVENT_READ)
    closed = {kind: [] for kind in KINDS}  # seconds from opening to the close, per kind
    answered_408 = 0
    next_trickle = time.monotonic() + 10
    deadline = started + args.longest + args.grace
    while flood and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            kind, opened = flood[s]
            if data:
                # An answer (the idle kind's 200, a trickle's 408): the close follows.
                answered_408 += data.startswith(b"HTTP/1.1 408")
                continue
            closed[kind].append(time.monotonic() - opened)
            selector.unregister(s)
            s.close()
            del flood[s]
        if time.monotonic() >= next_trickle:
            next_trickle += 10
            for s, (kind, _) in list(flood.items()):
                if kind == "trickle":
                    try:
                        s.send(b" ")
                    except OSError:
                        pass
    result["still_open_at_the_end"] = len(flood)
    result["closed"] = {kind: {"count": len(times),
                               "first_s": round(min(times), 1) if times else None,
                               "last_s": round(max(times), 1) if times else None}
                        for kind, times in closed.items()}
    result["answered_408"] = answered_408
    for s in flood:
        s.close()
    time.sleep(2)
    after = metrics(base)
    result["metrics_after"] = {k: int(v) for k, v in after.items()}
    result["rss_mib_after"] = round(rss_mib(mock.pid), 1)
    result["load_average_after"] = loadavg()
    expected = {reason: 0 for reason in set(REASON.values())}
    for kind in KINDS:
        expected[REASON[kind]] += len([i for i in range(args.connections) if KINDS[i % len(KINDS)] == kind])
    closes = (f'wecom_mock_connections_closed_total{{reason="{r}"}}' for r in expected)
    result["every_connection_closed_by_its_timeout"] = not flood and all(
        after.get(name, 0) - counted_before.get(name, 0) == n for name, n in zip(closes, expected.values()))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--secs", type=int, default=10, help="each wrk run")
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--grace", type=int, default=20, help="seconds allowed past the longest timeout")
    parser.add_argument("--mock-arg", action="append", default=[],
                        help="one more argument for the mock (a trial run: --mock-arg=--idle-timeout=5s ...)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="floods one after the other in the same process (RSS after each shows what is kept)")
    parser.add_argument("--longest", type=float, default=75, help="the longest of the mock's timeouts, seconds")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mock = subprocess.Popen([args.binary, "--listen", f"127.0.0.1:{port}", *args.mock_arg],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = {"connections": args.connections, "mock_args": args.mock_arg, "load_average_before": loadavg()}
    try:
        for _ in range(200):
            try:
                http(base, "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        token = json.loads(http(base, "/cgi-bin/gettoken?corpid=wwmock0000000001&corpsecret=mock-secret"))["access_token"]
        path = f"/cgi-bin/externalcontact/get_contact_way?access_token={token}"
        made = json.loads(http(base, f"/cgi-bin/externalcontact/add_contact_way?access_token={token}",
                               {"type": 1, "scene": 2, "user": ["zhangsan"], "state": "soak"}))
        script = f"/tmp/connection-soak-{os.getpid()}.lua"
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
            f.write(f"wrk.body = '{{\"config_id\":\"{made['config_id']}\"}}'\n")
        head_of_get = f"POST {path} HTTP/1.1\r\nHost: mock\r\nContent-Length: 1000\r\n\r\n".encode()
        limit = [line for line in http(base, "/metrics").decode().splitlines()
                 if line.startswith('wecom_mock_limit{limit="connections"}')]
        result["max_connections"] = int(float(limit[0].split()[-1])) if limit else None

        result["rounds"] = [flood_round(args, mock, port, base, path, script, head_of_get)
                            for _ in range(args.rounds)]
        result["load_average_after"] = loadavg()
        os.unlink(script)
    finally:
        mock.terminate()
        mock.wait(timeout=20)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
