"""The auth flow generator on its own: scripted answers in, the requests it wants sent out.

No server and no event loop: each test drives `AuthFlows.flow` the way the client's send loop
does, and checks every step — which requests may follow redirects, where the token lock is held,
which headers go where.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path

import pytest

from pinlint.registry.authflow import AuthFlows, HostAuth, Lock, Step
from pinlint.registry.manifest import ResolveError
from pinlint.registry.transport import Answer, Endpoint, Outgoing

HOST = "registry.example"
URL = f"https://{HOST}/v2/team/app/manifests/v1"
ORIGIN = ("https", HOST)


def answer(status: int, *, origin: tuple[str, str] = ORIGIN, challenge: str = "", body: bytes = b"") -> Answer:
    return Answer(status, {}, body, origin, [challenge] if challenge else [])


@pytest.fixture
def flows(tmp_path: Path) -> AuthFlows:
    env = {"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path / "docker")}
    return AuthFlows(env, lambda *_: None, lambda _: None)


def with_credentials(tmp_path: Path, **entry: str) -> None:
    (tmp_path / "docker").mkdir(exist_ok=True)
    (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {HOST: entry}}))


def drive(flow: Generator[Step, Answer | None, Answer], answers: list[Answer]) -> tuple[list[Step], Answer]:
    steps: list[Step] = []
    step = next(flow)
    try:
        while True:
            steps.append(step)
            step = flow.send(answers.pop(0) if isinstance(step, Outgoing) else None)
    except StopIteration as stop:
        assert answers == []
        return steps, stop.value


def endpoint() -> Endpoint:
    return Endpoint(HOST, "https", True, False, HOST)


def test_no_challenge_no_header(flows: AuthFlows) -> None:
    steps, last = drive(flows.flow(endpoint(), HostAuth(), "team/app", "HEAD", URL, {}), [answer(200)])
    assert steps == [Outgoing("HEAD", URL, {})] and last.status == 200


def test_a_bearer_challenge_fetches_one_token_under_the_lock_without_following_redirects(flows: AuthFlows) -> None:
    auth = HostAuth(planned_scopes=["repository:team/app:pull", "repository:team/other:pull"])
    challenge = 'Bearer realm="https://auth.example/token",service="svc"'
    token = answer(200, origin=("https", "auth.example"), body=b'{"token": "tok", "expires_in": 300}')
    steps, last = drive(
        flows.flow(endpoint(), auth, "team/app", "HEAD", URL, {}),
        [answer(401, challenge=challenge), token, answer(200)],
    )
    assert last.status == 200
    first, hold, fetch, release, again = steps
    assert first == Outgoing("HEAD", URL, {}) and hold is Lock.HOLD and release is Lock.RELEASE
    assert isinstance(fetch, Outgoing) and fetch.token and fetch.method == "GET"
    assert fetch.url == "https://auth.example/token" and "Authorization" not in fetch.headers
    assert fetch.params == (
        ("service", "svc"),
        ("scope", "repository:team/app:pull"),
        ("scope", "repository:team/other:pull"),
    )
    assert again == Outgoing("HEAD", URL, {"Authorization": "Bearer tok"})
    # the next request of any planned repository needs no token request, and no lock
    steps, _ = drive(flows.flow(endpoint(), auth, "team/other", "HEAD", URL, {}), [answer(200)])
    assert steps == [Outgoing("HEAD", URL, {"Authorization": "Bearer tok"})]


def test_basic_credentials_go_to_the_registry_only(flows: AuthFlows, tmp_path: Path) -> None:
    with_credentials(tmp_path, username="u", password="p")
    steps, last = drive(
        flows.flow(endpoint(), flows.new_host(), "team/app", "GET", URL, {}),
        [answer(401, challenge='Basic realm="r"'), answer(200)],
    )
    assert last.status == 200 and steps[1] == Outgoing("GET", URL, {"Authorization": "Basic dTpw"})
    assert flows.secrets() == ["p", "dTpw"]


def test_a_challenge_from_another_origin_is_refused_before_any_credential_is_looked_at(
    flows: AuthFlows, tmp_path: Path
) -> None:
    with_credentials(tmp_path, username="u", password="p")
    elsewhere = answer(401, origin=("http", "127.0.0.1:9999"), challenge='Bearer realm="http://127.0.0.1:9999/t"')
    flow = flows.flow(endpoint(), HostAuth(), "team/app", "HEAD", URL, {})
    with pytest.raises(ResolveError, match=r"^401 unauthorized from 127\.0\.0\.1:9999, where registry\.example"):
        drive(flow, [elsewhere])


def test_a_refused_token_is_not_sent_again(flows: AuthFlows) -> None:
    auth = HostAuth()
    challenge = 'Bearer realm="https://auth.example/token"'
    token = answer(200, body=b'{"token": "tok"}')
    with pytest.raises(ResolveError, match=r"^401 unauthorized — no credentials found for registry\.example$"):
        drive(
            flows.flow(endpoint(), auth, "team/app", "HEAD", URL, {}),
            [answer(401, challenge=challenge), token, answer(401, challenge=challenge)],
        )
