"""`Registry`: a `docker-registry serve` process (plain, Basic, TLS or token auth) and its access log."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .common import _SHARED_SECRET, RegistryTestError, _RequestCounting, _track, _untrack, free_port
from .tls import TLSFiles, _run_tool, make_tls_files
from .tokens import TokenServer

# --------------------------------------------------------------------------------------------
# Registry (docker-registry serve)
# --------------------------------------------------------------------------------------------

_ACCESS_LOG = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3}) (?P<size>\d+|-)'
)
_SYNC_PARAM = "pinlint-sync"


@dataclass(frozen=True)
class AccessLogEntry:
    """One line of the registry's access log (stdout in distribution 2.8.2, Apache combined format)."""

    method: str
    path: str
    query: str
    status: int


class Registry(_RequestCounting):
    """A `docker-registry serve` process on a free 127.0.0.1 port with its own config.

    Auth is one of: none (default), Basic (`basic_auth=(user, password)`, htpasswd bcrypt) or
    token (`token_server=TokenServer(...)`); `tls=True` (or a `TLSFiles`) serves HTTPS with a
    throwaway CA (`.ca_file`). `storage` may be shared with other registries. The constructor
    returns once `GET /v2/` answers; use `.stop()` or a `with` block.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        storage: Path | None = None,
        basic_auth: tuple[str, str] | None = None,
        tls: bool | TLSFiles = False,
        token_server: TokenServer | None = None,
        token_realm: str | None = None,
        access_log: bool = True,
        start_timeout: float = 10.0,
        binary: str = "docker-registry",
    ) -> None:
        if basic_auth is not None and token_server is not None:
            raise ValueError("choose Basic or token auth, not both")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.storage = storage if storage is not None else workdir / "storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.basic_auth = basic_auth
        self.token_server = token_server
        self.token_realm = token_realm or (token_server.realm if token_server else None)
        self.tls: TLSFiles | None = make_tls_files(workdir / "tls") if tls is True else (tls or None)
        self.access_log = access_log
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._log: list[AccessLogEntry] = []
        self._log_start = 0
        self._synced: set[str] = set()
        self._sync_seq = 0
        self._output: deque[str] = deque(maxlen=400)
        self._cond = threading.Condition()
        self._readers: list[threading.Thread] = []
        self._stopped = False
        self._htpasswd: Path | None = None
        if basic_auth is not None:
            line = _run_tool("htpasswd", "-Bbn", basic_auth[0], basic_auth[1]).decode().strip()
            self._htpasswd = workdir / "htpasswd"
            self._htpasswd.write_text(line + "\n")
        _track(self)
        try:
            self._start(start_timeout)
        except BaseException:
            self.stop()
            raise

    # -- addresses ----------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def ca_file(self) -> Path | None:
        return self.tls.ca_file if self.tls else None

    @property
    def auth_mode(self) -> Literal["none", "basic", "token"]:
        return "basic" if self.basic_auth else "token" if self.token_server else "none"

    @property
    def credentials(self) -> tuple[str, str] | None:
        """Credentials that may push here: the htpasswd user, or the token server's first user."""
        if self.basic_auth is not None:
            return self.basic_auth
        if self.token_server is not None:
            return self.token_server.credentials
        return None

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client SSL context trusting this registry's CA (None for plain HTTP)."""
        return self.tls.ssl_context() if self.tls else None

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What to pass as httpx's `verify=`."""
        return self.ssl_context() or True

    @property
    def output(self) -> str:
        """The server's recent stdout/stderr lines (access log excluded)."""
        with self._cond:
            return "\n".join(self._output)

    # -- access log ---------------------------------------------------------------------------

    def sync(self, timeout: float = 5.0) -> None:
        """Wait until every request answered before this call is in the access log."""
        if not self.access_log:
            raise RegistryTestError("this registry was started with access_log=False")
        if self.process is None or self.process.poll() is not None or self._stopped:
            return  # stopped: the readers have drained everything it wrote
        with self._cond:
            self._sync_seq += 1
            marker = f"{os.getpid()}-{self._sync_seq}"
        self._probe(f"/v2/?{_SYNC_PARAM}={marker}", timeout)
        with self._cond:
            if not self._cond.wait_for(lambda: marker in self._synced, timeout):
                raise RegistryTestError(f"access log marker {marker} never appeared:\n{self.output}")
            self._synced.discard(marker)

    @property
    def access_log_entries(self) -> list[AccessLogEntry]:
        """Access-log entries since start or `clear_requests()`, in log order (synced first)."""
        self.sync()
        with self._cond:
            return self._log[self._log_start :]

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request the registry served (query strings dropped)."""
        return [(e.method, e.path) for e in self.access_log_entries]

    def clear_requests(self) -> None:
        self.sync()
        with self._cond:
            self._log_start = len(self._log)

    # -- lifecycle ----------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": "error", "formatter": "text", "accesslog": {"disabled": not self.access_log}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.host, "secret": _SHARED_SECRET},
        }
        if self.tls is not None:
            config["http"]["tls"] = {"certificate": str(self.tls.cert_file), "key": str(self.tls.key_file)}
        if self._htpasswd is not None:
            config["auth"] = {"htpasswd": {"realm": "basic-realm", "path": str(self._htpasswd)}}
        if self.token_server is not None:
            config["auth"] = {
                "token": {
                    "realm": self.token_realm,
                    "service": self.token_server.service,
                    "issuer": self.token_server.issuer,
                    "rootcertbundle": str(self.token_server.root_cert_file),
                }
            }
        return config

    def _start(self, timeout: float) -> None:
        for _attempt in range(5):
            self.port = free_port()
            config_path = self.workdir / f"config-{self.port}.yml"
            config_path.write_text(json.dumps(self._config(), indent=2))  # JSON is YAML
            try:
                self.process = subprocess.Popen(
                    [self.binary, "serve", str(config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which stops us
                )
            except FileNotFoundError as exc:
                raise RegistryTestError(f"{self.binary} is not installed (Debian package docker-registry)") from exc
            assert self.process.stdout is not None and self.process.stderr is not None
            self._readers = [
                threading.Thread(target=self._read_stdout, args=(self.process.stdout,), daemon=True),
                threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True),
            ]
            for reader in self._readers:
                reader.start()
            if self._wait_ready(timeout):
                return
            if "address already in use" not in self.output:
                break
            self._terminate()
        raise RegistryTestError(
            f"docker-registry did not start on {self.host} (exit code "
            f"{self.process.returncode if self.process else None}):\n{self.output}"
        )

    def _wait_ready(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                for reader in self._readers:
                    reader.join(timeout=2)
                return False
            try:
                self._probe("/v2/", 1.0)
                return True
            except OSError as exc:
                last_error = exc
                time.sleep(0.01)
        self._terminate()
        raise RegistryTestError(
            f"docker-registry on {self.host} not ready after {timeout}s ({last_error}):\n{self.output}"
        )

    def _probe(self, target: str, timeout: float) -> int:
        conn: http.client.HTTPConnection
        if self.tls is not None:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.ssl_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def _read_stdout(self, stream: io.BufferedReader) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            match = _ACCESS_LOG.match(line)
            with self._cond:
                if match is None:
                    self._output.append(line)
                    continue
                path, _, query = match["target"].partition("?")
                marker = urllib.parse.parse_qs(query).get(_SYNC_PARAM)
                if marker:
                    self._synced.add(marker[0])
                    self._cond.notify_all()
                else:
                    self._log.append(AccessLogEntry(match["method"], path, query, int(match["status"])))

    def _read_stderr(self, stream: io.BufferedReader) -> None:
        for raw in iter(stream.readline, b""):
            with self._cond:
                self._output.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        self.process = process  # keep it inspectable (returncode) after stop

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s). Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._terminate()
        _untrack(self)

    def __repr__(self) -> str:
        return f"Registry({self.url}, auth={self.auth_mode}, storage={self.storage})"
