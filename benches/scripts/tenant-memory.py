#!/usr/bin/env python3
"""What a shared instance's limits cost in memory: RSS of a running wecom-mock per tenant corp
and per config (created, then read once), measured, for docs/OPERATIONS.md.

    cargo build --release -p wecom-mock
    benches/scripts/tenant-memory.py target/release/wecom-mock [--tenants 1000] [--configs 100000]

Standard library only. Starts the mock on a free port in memory, reads VmRSS from /proc before
and after each step, and prints one JSON object.
"""
import argparse
import http.client
import json
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Mock:
    def __init__(self, binary, tenants):
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{self.port}", "--journal-size", "0",
             "--max-corps", str(tenants + 10), "--max-total-configs", "100000000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for _ in range(200):
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                time.sleep(0.05)
        raise RuntimeError("the mock did not start")

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body).encode())
        answer = self.conn.getresponse()
        return answer.status, json.loads(answer.read() or b"null")

    def rss(self):
        time.sleep(0.5)  # let the allocator settle
        return rss_bytes(self.process.pid)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--configs", type=int, default=100_000)
    args = parser.parse_args()
    mock = Mock(args.binary, args.tenants)
    try:
        start = mock.rss()
        tenants = []
        for _ in range(args.tenants):
            status, tenant = mock.call("POST", "/__admin/tenants", {})
            assert status == 200, tenant
            tenants.append(tenant)
        after_tenants = mock.rss()
        team = tenants[0]
        _, token = mock.call("GET", f"/cgi-bin/gettoken?corpid={team['corpid']}&corpsecret={team['secret']}")
        token = token["access_token"]
        ids = []
        for i in range(args.configs):
            body = {"type": 1, "scene": 2, "user": ["zhangsan"], "state": f"s{i:07d}", "remark": "memory"}
            _, added = mock.call("POST", f"/cgi-bin/externalcontact/add_contact_way?access_token={token}", body)
            assert added["errcode"] == 0, added
            ids.append(added["config_id"])
        after_adds = mock.rss()
        for config_id in ids:
            _, got = mock.call("POST", f"/cgi-bin/externalcontact/get_contact_way?access_token={token}",
                               {"config_id": config_id})
            assert got["errcode"] == 0, got
        after_reads = mock.rss()
    finally:
        mock.stop()
    print(json.dumps({
        "tenants": args.tenants,
        "configs": args.configs,
        "rss_start_mib": round(start / 2**20, 1),
        "bytes_per_tenant": round((after_tenants - start) / args.tenants),
        "bytes_per_config": round((after_adds - after_tenants) / args.configs),
        "bytes_per_config_read_once": round((after_reads - after_tenants) / args.configs),
        "rss_end_mib": round(after_reads / 2**20, 1),
    }))


if __name__ == "__main__":
    sys.exit(main())
