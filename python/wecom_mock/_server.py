"""Start and drive a ``wecom-mock`` server process. Standard library only."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

BINARY_NAME = "wecom-mock.exe" if os.name == "nt" else "wecom-mock"
#: The environment variable naming a binary to start instead of the packaged one.
BINARY_ENV = "WECOM_MOCK_BIN"

# The first line the binary prints on stdout once it listens (`src/main.rs`, `print_banner`).
_BANNER = re.compile(r"wecom-mock listening on (http://\S+)")


class MockServerError(RuntimeError):
    """The server could not be found, started or reached."""


class AdminError(Exception):
    """The control surface (``/__admin/…``) refused a request.

    ``status`` is the HTTP status, ``error`` the stable snake_case code of the answer
    (``corp_not_found``, ``temp_code_used``, …) and ``message`` its explanation.
    """

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message


class ApiError(Exception):
    """A WeCom call made by this module (``token()``) answered a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True)
class Tenant:
    """A corp of its own on the server (``POST /__admin/tenants``).

    ``admin_token`` is the tenant's bearer token for the control surface when the server hands
    one out, ``None`` otherwise; the server's helpers send it for this corp's calls.
    """

    corpid: str
    secret: str
    agentid: int
    url: str
    admin_token: Optional[str] = None


def find_binary(binary: Optional[os.PathLike | str] = None) -> str:
    """The program to start: ``binary``, else ``$WECOM_MOCK_BIN``, else the one the wheel
    installed (next to this Python's scripts), else ``wecom-mock`` on ``PATH``."""
    explicit = binary if binary is not None else os.environ.get(BINARY_ENV) or None
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise MockServerError(f"no wecom-mock binary at {path}")
        return str(path)
    schemes = [sysconfig.get_default_scheme()] if hasattr(sysconfig, "get_default_scheme") else []
    schemes.append(f"{os.name}_user")
    for scheme in schemes:
        try:
            scripts = sysconfig.get_path("scripts", scheme)
        except KeyError:
            continue
        candidate = Path(scripts) / BINARY_NAME
        if candidate.is_file():
            return str(candidate)
    candidate = Path(sys.executable).parent / BINARY_NAME
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(BINARY_NAME)
    if found:
        return found
    raise MockServerError(
        f"cannot find the {BINARY_NAME} binary: install the wecom-mock wheel, "
        f"set ${BINARY_ENV}, or pass binary="
    )


def _option(args: Sequence[str], name: str) -> Optional[str]:
    """The value of ``--name VALUE`` or ``--name=VALUE`` in ``args``."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None


class MockServer:
    """A ``wecom-mock`` process on a free loopback port, for one test run.

    Use it as a context manager: the server is started on entry (``/healthz`` answers by
    then) and stopped on exit. ``args`` are extra command-line options (``--seed``,
    ``--fixtures``, ``--admin-token``, …; ``wecom-mock --help`` lists them); with
    ``--admin-token`` the helpers send that token.

    Attributes once started: ``url`` (the base URL to point a WeCom client at), and the
    default corp's ``corpid``, ``secret`` and ``agentid`` (the first corp the server lists).
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        binary: Optional[os.PathLike | str] = None,
        *,
        startup_timeout: float = 30.0,
    ) -> None:
        self.args = [str(a) for a in args]
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.url = ""
        self.corpid = ""
        self.secret = ""
        self.agentid = 0
        self._admin_token = _option(self.args, "--admin-token") or os.environ.get("WECOM_MOCK_ADMIN_TOKEN")
        self._tenants: Dict[str, Tenant] = {}
        self._process: Optional[subprocess.Popen[str]] = None
        self._stderr: Optional[Any] = None

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "MockServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Starts the process and waits until ``/healthz`` answers."""
        if self._process is not None:
            raise MockServerError("the server is already running")
        command = [find_binary(self.binary)]
        if _option(self.args, "--listen") is None:
            # Port 0: the kernel picks a free port and the banner says which (no race).
            command += ["--listen", "127.0.0.1:0"]
        command += self.args
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        try:
            self.url = self._read_banner()
            self._wait_healthy()
            corps = self._admin("GET", "/__admin/corps")["corps"]
        except BaseException:
            self.stop()
            raise
        if corps and corps[0]["apps"]:
            self.corpid = corps[0]["corpid"]
            self.secret = corps[0]["apps"][0]["secret"]
            self.agentid = corps[0]["apps"][0]["agentid"]

    def stop(self) -> None:
        """Stops the process (SIGTERM, then a kill after 10 s). Safe to call twice."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]

    def _read_banner(self) -> str:
        process = self._process
        assert process is not None and process.stdout is not None
        found: Dict[str, str] = {}
        ready = threading.Event()

        def drain(stdout: Any) -> None:
            # Reads the banner, then keeps the pipe empty so the server never blocks on it.
            for line in stdout:
                match = _BANNER.search(line)
                if match and not ready.is_set():
                    found["url"] = match.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
        ready.wait(self.startup_timeout)
        if "url" in found:
            return found["url"]
        if ready.is_set():  # its output closed without an address: the process is ending
            try:
                state = f"exited with status {process.wait(timeout=5)}"
            except subprocess.TimeoutExpired:
                state = "closed its output without printing its address"
        else:
            state = f"printed no address within {self.startup_timeout} s"
        raise MockServerError(f"wecom-mock {state}:\n{self._stderr_tail()}")

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self._process is None or self._process.poll() is not None or time.monotonic() > deadline:
                raise MockServerError(f"wecom-mock did not become healthy:\n{self._stderr_tail()}")
            time.sleep(0.05)

    # --- HTTP ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, token: Optional[str] = None) -> Any:
        if not self.url:
            raise MockServerError("the server is not running")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                text = answer.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            text = err.read().decode("utf-8", errors="replace")
            try:
                shape = json.loads(text)
                raise AdminError(err.code, str(shape["error"]), str(shape.get("message", ""))) from None
            except (ValueError, KeyError, TypeError):
                raise AdminError(err.code, "http_error", text or err.reason) from None
        return json.loads(text) if text else None

    def _admin(self, method: str, path: str, body: Any = None, corpid: Optional[str] = None) -> Any:
        """A control-surface call, with the tenant's token for its corp, else the operator's."""
        tenant = self._tenants.get(corpid) if corpid else None
        token = tenant.admin_token if tenant else None
        return self._request(method, path, body, token or self._admin_token)

    # --- WeCom -----------------------------------------------------------------------------

    def token(self, corpid: Optional[str] = None, secret: Optional[str] = None) -> str:
        """An access token of ``corpid``'s app with ``secret``. Without a secret: the app of a
        tenant this server created, or the default corp's."""
        corpid = corpid or self.corpid
        if secret is None:
            tenant = self._tenants.get(corpid)
            secret = tenant.secret if tenant else self.secret
        query = urllib.parse.urlencode({"corpid": corpid, "corpsecret": secret})
        answer = self._request("GET", f"/cgi-bin/gettoken?{query}")
        if answer.get("errcode", 0) != 0:
            raise ApiError(int(answer["errcode"]), str(answer.get("errmsg", "")))
        return str(answer["access_token"])

    # --- control surface -------------------------------------------------------------------

    def tenant(self) -> Tenant:
        """A fresh corp with the default directory; delete it with :meth:`delete_corp`."""
        answer = self._admin("POST", "/__admin/tenants", {})
        tenant = Tenant(
            corpid=answer["corpid"],
            secret=answer["secret"],
            agentid=int(answer["agentid"]),
            url=self.url,
            admin_token=answer.get("admin_token"),
        )
        self._tenants[tenant.corpid] = tenant
        return tenant

    def delete_corp(self, corpid: str) -> None:
        """Deletes a corp (a tenant's ends the tenant)."""
        self._admin("DELETE", f"/__admin/corps/{urllib.parse.quote(corpid, safe='')}", corpid=corpid)
        self._tenants.pop(corpid, None)

    def scan(self, corpid: str, config_id: str, **fields: Any) -> Dict[str, Any]:
        """A customer scans a Contact Me config (``external_userid``, ``unionid``, ``userid``
        optional) → ``{"external_userid", "userid", "state", "temp", "welcome_code"}``.

        ``welcome_code`` is the add event's ``WelcomeCode``: pass it to
        ``externalcontact/send_welcome_msg`` within 20 s (on the corp's clock) of the scan to
        greet the customer; it works once (41051 afterwards, 41050 once expired). It is ``""``
        when the add issued none (a member with ``welcome_message_configured``); a scan that
        finds an existing relationship answers the original code, with its own 20 s."""
        return self._admin("POST", "/__admin/scan", {"corpid": corpid, "config_id": config_id, **fields}, corpid)

    def join(self, corpid: str, config_id: str, **fields: Any) -> Dict[str, Any]:
        """A customer joins through a Join Group config → ``{"external_userid", "chat_id",
        "state", "created_chat"}``."""
        return self._admin("POST", "/__admin/join", {"corpid": corpid, "config_id": config_id, **fields}, corpid)

    def _clock(self, change: Mapping[str, Any], corpid: Optional[str]) -> Dict[str, Any]:
        body = dict(change)
        if corpid:
            body["corpid"] = corpid
        return self._admin("POST", "/__admin/clock", body, corpid)

    def set_clock(self, unix: int, corpid: Optional[str] = None) -> Dict[str, Any]:
        """Freezes the virtual clock of ``corpid`` (default: every corp) at ``unix`` →
        ``{"now", "frozen"}``."""
        return self._clock({"set": int(unix)}, corpid)

    def advance_clock(self, seconds: int, corpid: Optional[str] = None) -> Dict[str, Any]:
        """Moves the virtual clock by ``seconds`` (and freezes it); due temp chats end."""
        return self._clock({"advance": int(seconds)}, corpid)

    def real_clock(self, corpid: Optional[str] = None) -> Dict[str, Any]:
        """Returns the clock to wall time."""
        return self._clock({"real": True}, corpid)

    def reset(self, corpid: Optional[str] = None) -> None:
        """Forgets the state of ``corpid`` (default: every corp; tenants are dropped) and loads
        the fixtures again."""
        self._admin("POST", "/__admin/reset", {"corpid": corpid} if corpid else {}, corpid)

    def dump(self, corpid: str) -> Dict[str, Any]:
        """The corp's deterministic state dump (configs, customers, groups, quota)."""
        return self._admin("GET", f"/__admin/corps/{urllib.parse.quote(corpid, safe='')}", corpid=corpid)

    def add_fault(self, **rule: Any) -> str:
        """Adds a fault rule (``path``, ``errcode`` / ``delay_ms`` / ``drop``, ``times`` or
        ``probability`` + ``seed``, ``corpid``) and returns its id."""
        return str(self._admin("POST", "/__admin/faults", rule, rule.get("corpid"))["id"])

    def clear_faults(self, corpid: Optional[str] = None) -> None:
        """Removes every fault rule (or ``corpid``'s)."""
        query = f"?corpid={urllib.parse.quote(corpid, safe='')}" if corpid else ""
        self._admin("DELETE", f"/__admin/faults{query}", corpid=corpid)

    def requests(self, **filters: Any) -> List[Dict[str, Any]]:
        """The request journal, newest last; filters ``path``, ``errcode``, ``corpid``,
        ``limit``."""
        given = {k: str(v) for k, v in filters.items() if v is not None}
        query = f"?{urllib.parse.urlencode(given)}" if given else ""
        return self._admin("GET", f"/__admin/requests{query}", corpid=filters.get("corpid"))["requests"]

    def messages(self, corpid: Optional[str] = None) -> List[Dict[str, Any]]:
        """Closing messages and callbacks sent, oldest first (``corpid``'s only when given)."""
        query = f"?corpid={urllib.parse.quote(corpid, safe='')}" if corpid else ""
        return self._admin("GET", f"/__admin/messages{query}", corpid=corpid)["messages"]
