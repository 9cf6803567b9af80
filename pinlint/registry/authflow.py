"""The auth flow of one registry request, as a generator in the style of httpx's `Auth.auth_flow`.

The flow yields what to send (`Outgoing`) and receives each `Answer`; the client's own send loop
drives it, so the flow decides which requests may follow redirects (token requests never do)
and holds the host's token lock only between `Lock.HOLD` and `Lock.RELEASE` (one token request
at a time per host: no stampede). Challenges are taken only from answers of the registry's own
origin: a registry that redirects to another host never makes pinlint send its credentials to
that host's realm. Credentials are looked up once per repository, as `docker pull` does; tokens
are cached per (realm, service, scope, identity) in memory only. Flows of one run may be driven
from several threads at once: credential lookups are serialised (a helper runs once per host).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Union
from urllib.parse import urlsplit

from pinlint.registry import credentials as creds
from pinlint.registry.auth import Challenge, RealmError, TokenCache, parse_challenges, validate_realm
from pinlint.registry.manifest import Log, ResolveError
from pinlint.registry.retry import Retryable, is_retryable_status, rate_reason, retry_after
from pinlint.registry.transport import Answer, Endpoint, Outgoing, may_send_credentials

MAX_TOKEN_SCOPES = 25  # scopes in one token request (they all go in the query string)


class Lock(Enum):
    HOLD = "hold"  # acquire the host's token lock (the driver releases it when the flow ends)
    RELEASE = "release"


Step = Union[Outgoing, Lock]  # noqa: UP007 - a runtime alias


@dataclass
class HostAuth:
    """What is known about authenticating at one API host."""

    challenge: Challenge | None = None
    lookups: dict[str, creds.Lookup] = field(default_factory=dict)  # by repository
    planned_scopes: list[str] = field(default_factory=list)


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def _identity(credential: creds.Credential | None) -> str:
    """Who a token was issued to (in memory only): kind, user and a fingerprint of the secret."""
    if credential is None:
        return "anonymous"
    fingerprint = hashlib.sha256(credential.secret.encode()).hexdigest()[:16]
    return f"{credential.kind}:{credential.username}:{fingerprint}"


def _send(outgoing: Outgoing) -> Generator[Step, Answer | None, Answer]:
    answer = yield outgoing
    if answer is None:
        raise TypeError("the driver must answer every Outgoing step")
    return answer


class AuthFlows:
    """Credentials and tokens for every host of a run; `flow` authenticates one request."""

    def __init__(
        self,
        env: Mapping[str, str] | None,
        log: Log,
        allow_plain_http: Callable[[str], None],
    ) -> None:
        self.env = env
        self.log = log
        self.tokens = TokenCache()
        self.hosts: list[HostAuth] = []
        self._allow_plain_http = allow_plain_http
        self._helper_answers: creds.HelperCache = {}
        self._said: set[str] = set()
        self._lookup_lock = threading.Lock()

    def new_host(self) -> HostAuth:
        auth = HostAuth()
        self.hosts.append(auth)
        return auth

    def _say_once(self, level: int, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.log(level, message)

    def secrets(self) -> list[str]:
        """Every secret held, for redaction and for checks in tests."""
        found = self.tokens.secrets()
        for auth in list(self.hosts):
            for lookup in list(auth.lookups.values()):
                credential = lookup.credential
                if credential and credential.secret:
                    found.append(credential.secret)
                    found.append(basic(credential.username, credential.secret).split(" ", 1)[1])
        return found

    def lookup(self, endpoint: Endpoint, auth: HostAuth, repository: str) -> creds.Lookup:
        found = auth.lookups.get(repository)
        if found is not None:
            return found
        with self._lookup_lock:
            return self._lookup(endpoint, auth, repository)

    def _lookup(self, endpoint: Endpoint, auth: HostAuth, repository: str) -> creds.Lookup:
        found = auth.lookups.get(repository)  # again: another thread may have looked it up meanwhile
        if found is None:
            host = endpoint.credentials_host
            found = creds.lookup(host, repository, self.env, helper_cache=self._helper_answers)
            auth.lookups[repository] = found
            for warning in found.warnings:
                self._say_once(0, f"warning: {warning}")
            credential = found.credential
            if credential is not None:
                self._say_once(1, f"credentials for {host}: {credential.kind} from {credential.source}")
        return found

    def credentials(self, endpoint: Endpoint, auth: HostAuth, repository: str) -> creds.Credential | None:
        """The credential to use here, or None (none found, or this host must not get it)."""
        credential = self.lookup(endpoint, auth, repository).credential
        return credential if endpoint.allow_credentials else None

    def denied(
        self, endpoint: Endpoint, auth: HostAuth, repository: str, status: int, sent: creds.Credential | None
    ) -> ResolveError:
        host = endpoint.credentials_host
        word = "denied" if status == 403 else "unauthorized"
        if sent is not None:
            why = f"credentials from {sent.source} were not accepted"
        elif self.lookup(endpoint, auth, repository).credential is not None:
            why = (
                f"credentials for {host} were found but are only sent over https or to loopback "
                f"(configure the registry `insecure = true` to allow plain http)"
            )
        else:
            why = f"no credentials found for {host}"
        return ResolveError(f"{status} {word} — {why}")

    # -- the flow ----------------------------------------------------------------------------

    def flow(
        self, endpoint: Endpoint, auth: HostAuth, repository: str, method: str, url: str, headers: Mapping[str, str]
    ) -> Generator[Step, Answer | None, Answer]:
        """Send `method url` to the registry, authenticated; the registry's last answer."""
        authorization = yield from self._authorization(endpoint, auth, repository)
        first = {**headers, "Authorization": authorization} if authorization else headers
        answer = yield from _send(Outgoing(method, url, first))
        if answer.status != 401:
            return answer
        self._own_origin(endpoint, answer)
        challenges = parse_challenges(answer.challenges)
        if not challenges:  # old gcr.io: the challenges are only on `GET /v2/`
            base = yield from _send(Outgoing("GET", f"{endpoint.scheme}://{endpoint.host}/v2/", {}))
            if base.status == 401:
                self._own_origin(endpoint, base)
                challenges = parse_challenges(base.challenges)
        chosen = next((c for c in challenges if c.scheme == "bearer" and c.params.get("realm")), None)
        chosen = chosen or next((c for c in challenges if c.scheme == "basic"), None)
        if chosen is None:
            raise ResolveError(f"401 unauthorized — {endpoint.host} sent no usable challenge")
        auth.challenge = chosen
        retry = yield from self._authorization(endpoint, auth, repository, stale=authorization)
        if retry is None or retry == authorization:
            refused = self.credentials(endpoint, auth, repository) if authorization else None
            raise self.denied(endpoint, auth, repository, 401, refused)
        answer = yield from _send(Outgoing(method, url, {**headers, "Authorization": retry}))
        if answer.status == 401:
            self._own_origin(endpoint, answer)
            raise self.denied(endpoint, auth, repository, 401, self.credentials(endpoint, auth, repository))
        return answer

    @staticmethod
    def _own_origin(endpoint: Endpoint, answer: Answer) -> None:
        """A 401 from another host (the registry redirected there) is not the registry's challenge."""
        if answer.origin != endpoint.origin:
            raise ResolveError(
                f"401 unauthorized from {answer.origin[1]}, where {endpoint.host} redirected the request; "
                f"pinlint answers challenges only from {endpoint.host} itself"
            )

    def _authorization(
        self, endpoint: Endpoint, auth: HostAuth, repository: str, *, stale: str | None = None
    ) -> Generator[Step, Answer | None, str | None]:
        """The Authorization header for a request to `repository` (None: send none).
        `stale` is a header the registry just refused: never answer it again."""
        challenge = auth.challenge
        if challenge is None:
            return None
        credential = self.credentials(endpoint, auth, repository)
        if challenge.scheme == "basic":
            if credential is None or credential.kind != "basic":
                return None
            return basic(credential.username, credential.secret)
        if credential is not None and credential.kind == "registry-token":
            return f"Bearer {credential.secret}"
        scope = f"repository:{repository}:pull"
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        identity = _identity(credential)

        def cached(each: str) -> str | None:
            return self.tokens.get(self.tokens.key(realm, service, [each], identity))

        token = cached(scope)
        if token is None or f"Bearer {token}" == stale:
            yield Lock.HOLD
            token = cached(scope)  # another request may have fetched it meanwhile
            if token is None or f"Bearer {token}" == stale:
                others = [s for s in auth.planned_scopes if s != scope and cached(s) is None]
                scopes = [scope, *others[: MAX_TOKEN_SCOPES - 1]]
                token, expires_in = yield from self._fetch_token(
                    endpoint, auth, repository, challenge, scopes, credential
                )
                for each in scopes:
                    self.tokens.put(self.tokens.key(realm, service, [each], identity), token, expires_in)
            yield Lock.RELEASE
        return f"Bearer {token}"

    def _fetch_token(
        self,
        endpoint: Endpoint,
        auth: HostAuth,
        repository: str,
        challenge: Challenge,
        scopes: list[str],
        credential: creds.Credential | None,
    ) -> Generator[Step, Answer | None, tuple[str, float]]:
        try:
            realm = validate_realm(challenge.params.get("realm", ""), endpoint.host, endpoint.insecure)
        except RealmError as exc:
            raise ResolveError(str(exc)) from None
        parts = urlsplit(realm)
        realm_host = parts.netloc.rpartition("@")[2].lower()
        service = challenge.params.get("service")
        send_secret = credential is not None and may_send_credentials(parts.scheme, realm_host, endpoint.insecure)
        if parts.scheme == "http":  # validated: loopback, or the registry is `insecure`
            self._allow_plain_http(realm_host)
        if send_secret and credential is not None and credential.kind == "identity":
            form = {
                "grant_type": "refresh_token",
                "refresh_token": credential.secret,
                "client_id": "pinlint",
                "scope": " ".join(scopes),
            }
            if service:
                form["service"] = service
            outgoing = Outgoing("POST", realm, {}, form=form, token=True)
        else:
            params: list[tuple[str, str]] = []
            if service:
                params.append(("service", service))
            params += [("scope", s) for s in scopes]
            headers = {}
            if send_secret and credential is not None:
                if credential.username:
                    params.append(("account", credential.username))
                headers["Authorization"] = basic(credential.username, credential.secret)
            outgoing = Outgoing("GET", realm, headers, params=tuple(params), token=True)
        self.log(1, f"token request to {parts.scheme}://{realm_host}{parts.path} for {len(scopes)} scope(s)")
        answer = yield from _send(outgoing)
        status = answer.status
        if status in (401, 403):
            raise self.denied(endpoint, auth, repository, status, credential if send_secret else None)
        if is_retryable_status(status):
            wait = retry_after(answer.headers.get("retry-after"))
            raise Retryable(f"token server: {rate_reason(status, answer.headers)}", wait)
        if 300 <= status < 400:
            raise ResolveError(f"token server answered {status} (a redirect), which pinlint does not follow")
        if status != 200:
            raise ResolveError(f"token server answered {status}")
        try:
            data = json.loads(answer.body or b"{}")
        except ValueError:
            raise ResolveError("token server answered with something that is not JSON") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ResolveError("token server answered without a token")
        expires = data.get("expires_in", 60)
        valid = isinstance(expires, (int, float)) and not isinstance(expires, bool)
        return token, float(expires) if valid else 60.0
