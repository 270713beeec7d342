"""``MockServer`` itself: finding and starting the binary, tokens, errors, the package."""

import ast
import importlib.metadata
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

import wecom_mock
from wecom_mock import AdminError, MockServer, MockServerError, find_binary


def test_the_installed_wheel_is_under_test():
    site = Path(wecom_mock.__file__).resolve().parent.parent
    assert site.name == "site-packages", f"wecom_mock imported from {wecom_mock.__file__}, not the wheel"
    assert Path(find_binary()).parent == Path(sys.executable).parent, "the packaged binary is in the venv"


def test_the_wheel_has_the_workspace_version():
    # The binary reports its crate's version (the workspace's); the wheel's must be the same.
    printed = subprocess.run([sys.executable, "-m", "wecom_mock", "--version"], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.split() == ["wecom-mock", wecom_mock.__version__]


def test_the_module_uses_only_the_standard_library():
    package = Path(wecom_mock.__file__).parent
    for source in package.glob("*.py"):
        if source.name == "plugin.py":  # loaded by pytest only, and imports pytest
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", f"{source.name} imports {name}"


def test_a_server_starts_on_a_free_port_and_stops_on_exit():
    with MockServer(args=["--seed", "7"]) as first, MockServer() as second:
        assert first.url != second.url
        assert (first.corpid, first.secret, first.agentid) == ("wwmock0000000001", "mock-secret", 1000001)
        with urllib.request.urlopen(first.url + "/healthz") as answer:
            # The packaged binary's version is the wheel's: both are the workspace's.
            assert json.load(answer) == {"status": "ok", "version": importlib.metadata.version("wecom-mock")}
        url = first.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/healthz", timeout=2)


def test_the_admin_token_given_in_args_is_sent():
    with MockServer(args=["--admin-token", "operator-secret"]) as mock:
        tenant = mock.tenant()
        assert mock.dump(tenant.corpid)["corpid"] == tenant.corpid
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(mock.url + "/__admin/corps")
        assert refused.value.code == 401


def test_a_tenant_has_its_own_admin_token_that_reaches_its_corp_only():
    with MockServer(args=["--admin-token", "operator-secret"]) as mock:
        tenant = mock.tenant()
        assert tenant.admin_token and tenant.admin_token != "operator-secret"
        assert mock.dump(tenant.corpid)["corpid"] == tenant.corpid
        as_tenant = {"Authorization": f"Bearer {tenant.admin_token}"}
        own = urllib.request.Request(f"{mock.url}/__admin/corps/{tenant.corpid}/quotas", headers=as_tenant)
        with urllib.request.urlopen(own) as answer:
            assert answer.status == 200
        other = urllib.request.Request(f"{mock.url}/__admin/corps/{mock.corpid}", headers=as_tenant)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(other)
        assert refused.value.code == 403
        mock.delete_corp(tenant.corpid)


def test_a_missing_binary_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(MockServerError, match="no wecom-mock binary"):
        MockServer(binary=tmp_path / "nope").start()
    monkeypatch.setenv("WECOM_MOCK_BIN", str(tmp_path / "nope"))
    with pytest.raises(MockServerError, match="no wecom-mock binary"):
        find_binary()


def test_wecom_mock_bin_names_the_binary(monkeypatch):
    packaged = find_binary()
    monkeypatch.setenv("WECOM_MOCK_BIN", packaged)
    assert find_binary() == packaged
    assert find_binary(binary=packaged) == packaged


def test_a_server_that_cannot_start_reports_why(tmp_path):
    with pytest.raises(MockServerError) as failed:
        MockServer(args=["--fixtures", str(tmp_path / "missing.json")]).start()
    assert "exited with status 2" in str(failed.value)
    assert "missing.json" in str(failed.value), "the server's own message is in the error"


class _ControlSurfaceStub(BaseHTTPRequestHandler):
    """Answers like a server that hands out tenant tokens (the shared-instance mode), and
    records the bearer token of every request."""

    seen = []

    def _answer(self, body):
        _ControlSurfaceStub.seen.append((self.command, self.path, self.headers.get("Authorization")))
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/__admin/tenants":
            self._answer({"corpid": "wwtenant1", "secret": "s", "agentid": 1000001, "admin_token": "tenant-1"})
        else:
            self._answer({"now": 0, "frozen": True})

    def do_GET(self):
        self._answer({"requests": []})

    def log_message(self, *args):
        pass


def test_a_tenant_token_is_sent_for_its_own_corp_only():
    stub = HTTPServer(("127.0.0.1", 0), _ControlSurfaceStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        mock = MockServer(args=["--admin-token", "operator"])
        mock.url = f"http://127.0.0.1:{stub.server_port}"  # the stub stands in for a running server
        tenant = mock.tenant()
        assert (tenant.corpid, tenant.admin_token, tenant.url) == ("wwtenant1", "tenant-1", mock.url)
        mock.set_clock(0, corpid="wwtenant1")
        mock.set_clock(0)
        mock.requests(corpid="wwtenant1")
        mock.requests()
    finally:
        stub.shutdown()
    assert [auth for _, _, auth in _ControlSurfaceStub.seen] == [
        "Bearer operator",  # creating a tenant is the operator's
        "Bearer tenant-1",
        "Bearer operator",
        "Bearer tenant-1",
        "Bearer operator",
    ]


def test_a_deleted_tenant_is_gone(wecom_mock):
    tenant = wecom_mock.tenant()
    assert wecom_mock.dump(tenant.corpid)["corpid"] == tenant.corpid
    wecom_mock.delete_corp(tenant.corpid)
    with pytest.raises(AdminError) as gone:
        wecom_mock.delete_corp(tenant.corpid)
    assert (gone.value.status, gone.value.error) == (404, "corp_not_found")


def _elf_section_names(path):
    """The section names of a 64-bit little-endian ELF file (standard library only)."""
    import struct

    data = Path(path).read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "a 64-bit little-endian ELF binary"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i):
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
    strtab_offset = header(shstrndx)[4]
    names = []
    for i in range(shnum):
        name_offset = header(i)[0]
        end = data.index(b"\0", strtab_offset + name_offset)
        names.append(data[strtab_offset + name_offset:end].decode())
    return names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the ELF headers")
def test_the_packaged_binary_is_stripped():
    # pyproject.toml's `strip = true`: no symbol table, so a few MB instead of tens.
    binary = find_binary()
    sections = _elf_section_names(binary)
    assert ".text" in sections
    assert ".symtab" not in sections, "the wheel's binary still has its symbols"
    # Stripped: 10.3 MiB from `pip install ./python` (release), 26 MiB from CI's debug build;
    # unstripped they are 63 MiB and over 100 MiB. 40 MiB tells the two apart in either profile.
    # The README quotes the release figure.
    assert Path(binary).stat().st_size < 40 * 1024 * 1024, "the wheel's binary is not stripped"
