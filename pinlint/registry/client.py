"""The registry client: tag → digest over the distribution API, driving transport, auth flow,
manifest parsing and retries.

HEAD `/v2/<name>/manifests/<tag>` with every manifest media type in Accept; the
`Docker-Content-Digest` header is used when it is a valid digest, otherwise the manifest is
fetched with GET and the exact body bytes are hashed (`manifest.py`). 405 → GET; 404 → GET once
to read the registry's explanation. Each request goes through the auth flow (`authflow.py`),
driven here: the flow says what to send, `transport.py` sends it. Per registry host: one
request first (alone, until the host has answered) to learn the auth scheme, then bounded
concurrency over keep-alive connections; at most `MAX_ACTIVE_HOSTS` hosts at once. A host that
does not answer at all costs one reference's attempts: its other references then fail at once
(`HostDown`). Nothing secret is logged or put in an error.

`manifest` may be called from many threads at once (`pinlint.resolve` runs one reference per
worker of a thread pool): per-host semaphores bound the requests in flight, the host gate the
hosts worked on, and one lock guards the bookkeeping of both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field

from pinlint import __version__
from pinlint.config import Config
from pinlint.reference import ImageRef
from pinlint.registry.authflow import AuthFlows, HostAuth, Lock, Step
from pinlint.registry.manifest import (
    Log,
    Manifest,
    ResolveError,
    config_descriptor,
    config_platform,
    from_body,
    from_head,
    index_platforms,
)
from pinlint.registry.media import ACCEPT, INDEX_TYPES, MANIFEST_TYPES, SCHEMA1_TYPES
from pinlint.registry.retry import Retryable, backoff, gave_up, is_retryable_status, run_deadline, status_failure
from pinlint.registry.transport import MAX_RESPONSE_BYTES, Answer, Cancelled, Endpoint, Transport

__all__ = [
    "ACCEPT",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "MAX_MANIFEST_BYTES",
    "SCHEMA1_TYPES",
    "HostDown",
    "Manifest",
    "RegistryClient",
    "ResolveError",
    "index_platforms",
]

DOCKER_HUB_API = "registry-1.docker.io"
MAX_MANIFEST_BYTES = MAX_RESPONSE_BYTES  # the name this module exported before the split
MAX_ACTIVE_HOSTS = 16  # registry hosts worked on at once, each with its own bounded concurrency


class HostDown(ResolveError):
    """A reference not tried because its registry host did not answer another one."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"skipped: {host} did not answer ({reason})")
        self.host = host
        self.reason = reason


@dataclass
class _HostState:
    """What the client knows about one API host (a registry, or the mirror standing in for it)."""

    endpoint: Endpoint
    auth: HostAuth
    semaphore: threading.Semaphore
    token_lock: threading.Lock = field(default_factory=threading.Lock)
    learned: threading.Event = field(default_factory=threading.Event)  # the host answered (or is down)
    probing: bool = False
    admitted: threading.Event = field(default_factory=threading.Event)  # holds a slot of the host gate
    admitting: bool = False
    outstanding: int = 0  # references of this host being resolved
    down: str | None = None  # why the host is considered down for the rest of the run

    # the transport choices, for messages and tests
    @property
    def host(self) -> str:
        return self.endpoint.host

    @property
    def scheme(self) -> str:
        return self.endpoint.scheme

    @property
    def allow_credentials(self) -> bool:
        return self.endpoint.allow_credentials

    @property
    def verify(self) -> object:
        return self.endpoint.verify

    @property
    def credentials_host(self) -> str:
        return self.endpoint.credentials_host


class RegistryClient:
    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        log: Log | None = None,
        log_level: int = 2,
    ) -> None:
        self.config = config
        self.env = env
        self.log: Log = log or (lambda level, message: None)
        self.transport = Transport(config, self.log, log_level if log is not None else -1)
        self.auth = AuthFlows(env, self.log, self.transport.allow_plain_http)
        self.tokens = self.auth.tokens
        self.hosts: dict[str, _HostState] = {}
        self._host_gate = threading.Semaphore(MAX_ACTIVE_HOSTS)
        self._lock = threading.Lock()  # the hosts table and every _HostState's flags and counters
        settings = config.registry
        self._deadline = time.monotonic() + run_deadline(settings.timeout, settings.retries)

    @property
    def requests(self) -> int:
        return self.transport.requests

    def api_host(self, ref: ImageRef) -> str:
        """The host answering for `ref`'s registry: its mirror, Docker Hub's API host, or itself."""
        host = ref.registry_host
        mirror = self.transport.host_config(host).mirror
        if mirror:
            return mirror.split("://", 1)[-1].rstrip("/").lower()
        return DOCKER_HUB_API if host == "docker.io" else host

    def _state(self, api_host: str, registry: str) -> _HostState:
        with self._lock:
            state = self.hosts.get(api_host)
            if state is None:
                state = _HostState(
                    endpoint=self.transport.endpoint(api_host, registry),
                    auth=self.auth.new_host(),
                    semaphore=threading.Semaphore(self.config.registry.concurrency),
                )
                self.hosts[api_host] = state
            return state

    def plan(self, refs: list[ImageRef]) -> None:
        """Note every repository of the run, so one token request can cover several scopes."""
        for ref in refs:
            planned = self._state(self.api_host(ref), ref.registry_host).auth.planned_scopes
            scope = f"repository:{ref.path}:pull"
            if scope not in planned:
                planned.append(scope)

    def cancel(self) -> None:
        """Stop the run: requests under way end within a fraction of a second, no retry starts."""
        self.transport.cancel()

    def close(self) -> None:
        self.transport.close()

    def secrets(self) -> list[str]:
        """Every secret this client holds, for redaction and for checks in tests."""
        return self.auth.secrets()

    # -- driving the auth flow ------------------------------------------------------------

    def _drive(self, state: _HostState, flow: Generator[Step, Answer | None, Answer]) -> Answer:
        held = False
        try:
            step = next(flow)
            while True:
                if step is Lock.HOLD:
                    state.token_lock.acquire()
                    held = True
                    step = flow.send(None)
                elif step is Lock.RELEASE:
                    state.token_lock.release()
                    held = False
                    step = flow.send(None)
                else:
                    assert not isinstance(step, Lock)
                    step = flow.send(self.transport.send(state.endpoint, step))
        except StopIteration as stop:
            answer: Answer = stop.value
            return answer
        finally:
            if held:
                state.token_lock.release()
            flow.close()

    def _request(self, state: _HostState, ref: ImageRef, method: str, target: str) -> Answer:
        endpoint = state.endpoint
        url = f"{endpoint.scheme}://{endpoint.host}/v2/{ref.path}/manifests/{target}"
        if self.transport.host_config(ref.registry_host).mirror:
            url += f"?ns={ref.registry_host}"
        headers = {"Accept": ACCEPT, "Accept-Encoding": "identity", "User-Agent": f"pinlint/{__version__}"}
        return self._drive(state, self.auth.flow(endpoint, state.auth, ref.path, method, url, headers))

    def _attempt(self, state: _HostState, ref: ImageRef, target: str, want_platforms: bool) -> Manifest:
        answer = self._request(state, ref, "HEAD", target)
        status = answer.status
        if is_retryable_status(status):
            raise status_failure(status, answer.headers)
        if status == 200:
            manifest = from_head(answer.headers, ref, want_platforms)
            if manifest is not None:
                return manifest
        elif status not in (400, 403, 404, 405):
            raise ResolveError(f"registry answered {status}")
        answer = self._request(state, ref, "GET", target)
        if is_retryable_status(answer.status):
            raise status_failure(answer.status, answer.headers)
        return from_body(answer.status, answer.headers, answer.body, ref, want_platforms, self.log)

    # -- one reference ----------------------------------------------------------------------

    def _admit(self, state: _HostState) -> None:
        """Take a slot of the host gate for this host (kept while it has references in flight).
        The caller has counted itself in `outstanding`, so the slot cannot be given back meanwhile."""
        with self._lock:
            if state.admitted.is_set():
                return
            first = not state.admitting
            state.admitting = True
        if first:
            self._host_gate.acquire()
            state.admitted.set()
        else:
            state.admitted.wait()

    def _leave(self, state: _HostState) -> None:
        with self._lock:
            state.outstanding -= 1
            if state.outstanding == 0 and state.admitted.is_set():
                state.admitted.clear()
                state.admitting = False
                self._host_gate.release()

    def manifest(self, ref: ImageRef, *, want_platforms: bool = False, own_platform: bool = False) -> Manifest:
        """Resolve `ref` (its digest when it has one, else its tag, else `latest`); `want_platforms`:
        an index's children; `own_platform`: a single-platform image's platform (its config blob)."""
        state = self._state(self.api_host(ref), ref.registry_host)
        with self._lock:
            state.outstanding += 1
        try:
            self._admit(state)
            manifest = self._resolve(state, ref, want_platforms)
            if own_platform and not manifest.is_index:
                manifest = manifest._replace(platform=self.own_platform(state, ref, manifest.digest))
            return manifest
        finally:
            self._leave(state)

    def own_platform(self, state: _HostState, ref: ImageRef, digest: str) -> str | None:
        """The platform of the single-platform image `digest`, read from its config blob (two GETs,
        each within the transport's size cap; the blob's bytes must hash to its digest). None,
        with a log line, when it cannot be read: the caller says so, it does not fail."""
        pinned = ImageRef(ref.domain, ref.path, None, digest)
        try:
            with state.semaphore:
                answer = self._request(state, pinned, "GET", digest)
                config = config_descriptor(answer.body) if answer.status == 200 else None
                if config is None:
                    self.log(1, f"{pinned}: no config blob in the manifest (status {answer.status})")
                    return None
                endpoint = state.endpoint
                url = f"{endpoint.scheme}://{endpoint.host}/v2/{ref.path}/blobs/{config}"
                if self.transport.host_config(ref.registry_host).mirror:
                    url += f"?ns={ref.registry_host}"
                headers = {"Accept-Encoding": "identity", "User-Agent": f"pinlint/{__version__}"}
                blob = self._drive(state, self.auth.flow(endpoint, state.auth, ref.path, "GET", url, headers))
        except (ResolveError, Retryable) as exc:
            self.log(1, f"{pinned}: cannot read its config blob: {exc}")
            return None
        platform = config_platform(blob.body, config) if blob.status == 200 else None
        if platform is None:
            self.log(1, f"{pinned}: unusable config blob {config} (status {blob.status})")
        return platform

    def _resolve(self, state: _HostState, ref: ImageRef, want_platforms: bool) -> Manifest:
        target = ref.digest or ref.tag or "latest"
        attempts = self.config.registry.retries + 1
        last = "failed"
        probe = False
        try:
            for attempt in range(attempts):
                # the first request to a host goes alone until the host answers: it learns the
                # auth scheme (and fetches one token for the planned scopes) that every other
                # request then uses up front, and a host that never answers costs one reference
                if not state.learned.is_set() and not probe:
                    with self._lock:
                        wait = state.probing
                        state.probing = True
                    if wait:
                        state.learned.wait()
                    else:
                        probe = True
                if state.down is not None:
                    raise HostDown(state.host, state.down)
                try:
                    with state.semaphore:
                        return self._attempt(state, ref, target, want_platforms)
                except Retryable as exc:
                    if probe and not exc.transport:
                        state.learned.set()
                    last = str(exc)
                    if attempt + 1 == attempts:
                        if exc.transport:
                            state.down = gave_up(last, attempts)
                        break
                    delay = backoff(attempt, exc.retry_after)
                    if time.monotonic() + delay > self._deadline:
                        raise ResolveError(
                            f"{last}; gave up: a wait of {delay:.1f} s would end past the run's retry deadline"
                        ) from None
                    self.log(1, f"{ref}: {last}; retrying in {delay:.2f} s")
                    if self.transport.cancelled.wait(delay):
                        raise Cancelled("the run was interrupted") from None
            raise ResolveError(gave_up(last, attempts))
        finally:
            if probe:
                state.learned.set()
