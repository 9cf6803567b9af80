"""WWW-Authenticate parsing, token-realm validation and the bearer-token cache (no network)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from pinlint.registry import auth
from pinlint.registry.auth import Challenge, RealmError, TokenCache, is_loopback_host, parse_challenges, validate_realm

# -- WWW-Authenticate ------------------------------------------------------------------------


def test_docker_hub_bearer_challenge() -> None:
    header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'
    assert parse_challenges([header]) == [
        Challenge(
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/alpine:pull",
            },
        )
    ]


def test_several_challenges_in_one_header_codeberg_style() -> None:
    header = 'Bearer realm="https://codeberg.org/v2/token",service="container_registry",scope="*",Basic realm="Gitea"'
    assert parse_challenges([header]) == [
        Challenge("bearer", {"realm": "https://codeberg.org/v2/token", "service": "container_registry", "scope": "*"}),
        Challenge("basic", {"realm": "Gitea"}),
    ]


def test_several_header_lines_keep_their_order() -> None:
    assert [c.scheme for c in parse_challenges(['Basic realm="x"', 'Bearer realm="https://a/t"'])] == [
        "basic",
        "bearer",
    ]


def test_unquoted_values_including_urls() -> None:
    [bearer, basic] = parse_challenges(["Bearer realm=https://gcr.io/v2/token,service=gcr.io, Basic realm=Artifactory"])
    assert bearer == Challenge("bearer", {"realm": "https://gcr.io/v2/token", "service": "gcr.io"})
    assert basic == Challenge("basic", {"realm": "Artifactory"})


def test_case_insensitive_scheme_and_names_and_escaped_quotes() -> None:
    [challenge] = parse_challenges(['BEARER Realm = "https://a/t" , SERVICE="svc \\"q\\"", error="insufficient_scope"'])
    expected = {"realm": "https://a/t", "service": 'svc "q"', "error": "insufficient_scope"}
    assert challenge == Challenge("bearer", expected)


def test_scheme_without_parameters_and_garbage_do_not_raise() -> None:
    assert parse_challenges(["Basic"]) == [Challenge("basic", {})]
    assert parse_challenges([""]) == []
    for junk in ['=,=,"', 'Bearer realm="unterminated', ",,,", "\x00\x01", 'Bearer ="x"']:
        parse_challenges([junk])  # never raises


# -- realms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("realm", "registry"),
    [
        ("https://auth.docker.io/token", "registry-1.docker.io"),
        ("https://ghcr.io/token", "ghcr.io"),
        ("http://127.0.0.1:5001/token", "127.0.0.1:5000"),  # loopback may be plain http
        ("http://localhost/token", "127.0.0.1:5000"),
        ("https://10.0.0.5:5001/auth", "10.0.0.5:5000"),  # the registry's own host, another port
        ("https://10.0.0.6/auth", "10.0.0.5:5000"),  # a registry on a private address may use another
        ("https://[::1]:8443/token", "[::1]:5000"),
    ],
)
def test_acceptable_realms(realm: str, registry: str) -> None:
    assert validate_realm(realm, registry, False) == realm


@pytest.mark.parametrize(
    ("realm", "registry", "why"),
    [
        ("http://auth.example.com/token", "registry.example.com", "plain http"),
        ("http://auth.example.com/token", "127.0.0.1:5000", "plain http"),  # http only when the realm is loopback
        ("https://10.1.2.3/token", "ghcr.io", "internal address"),
        ("https://192.168.1.1/token", "registry.example.com", "internal address"),
        ("https://127.0.0.1/token", "ghcr.io", "internal address"),
        ("https://[::1]/token", "ghcr.io", "internal address"),
        # every spelling the resolver (inet_aton) reads as an address is that address
        ("https://127.1/token", "ghcr.io", "internal address"),
        ("https://2130706433/token", "ghcr.io", "internal address"),
        ("https://0/token", "ghcr.io", "internal address"),
        ("https://0x7f.1/token", "ghcr.io", "internal address"),
        ("https://0177.0.0.1/token", "ghcr.io", "internal address"),
        ("https://10.1/token", "ghcr.io", "internal address"),
        ("https://[::ffff:127.0.0.1]/token", "ghcr.io", "internal address"),
        ("https://[::ffff:169.254.169.254]/token", "127.0.0.1:5000", "internal address"),
        ("https://2852039166/latest/meta-data", "127.0.0.1:5000", "internal address"),  # 169.254.169.254
        ("https://169.254.169.254/latest/meta-data", "ghcr.io", "internal address"),
        ("https://169.254.169.254/latest/meta-data", "127.0.0.1:5000", "internal address"),  # link-local: never
        ("ftp://auth.example.com/token", "ghcr.io", "not an http(s) URL"),
        ("", "ghcr.io", "not an http(s) URL"),
        ("https:///token", "ghcr.io", "not an http(s) URL"),
    ],
)
def test_refused_realms(realm: str, registry: str, why: str) -> None:
    with pytest.raises(RealmError, match=re.escape(why)):
        validate_realm(realm, registry, False)


def test_insecure_registry_allows_a_plain_http_realm() -> None:
    assert validate_realm("http://auth.corp.example/token", "registry.corp.example", True)


def test_realm_error_never_shows_user_information() -> None:
    with pytest.raises(RealmError) as caught:
        validate_realm("http://user:hunter2@auth.example.com/token", "ghcr.io", False)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.1:5000", True),
        ("127.1.2.3:80", True),
        ("localhost", True),
        ("localhost:5000", True),
        ("registry.localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("[::1]:5000", True),
        ("127.1", True),
        ("2130706433:5000", True),
        ("0x7f.0.0.1", True),
        ("[::ffff:127.0.0.1]:5000", True),
        ("10.0.0.1", False),
        ("0", False),  # 0.0.0.0: internal, but not loopback
        ("1e3", False),
        ("ghcr.io", False),
        ("example.com:443", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("08.1", None),  # not octal: the resolver would look it up as a name
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("", None),
    ],
)
def test_host_address_reads_literals_as_the_resolver_does(name: str, address: str | None) -> None:
    found = auth.host_address(name)
    assert (str(found) if found is not None else None) == address


# -- token cache -----------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=fake))  # only auth.py sees it
    return fake


def test_token_cache_expiry_and_minimum_lifetime(clock: _Clock) -> None:
    cache = TokenCache()
    key = cache.key("https://a/t", "svc", ["repository:x:pull"], "anonymous")
    cache.put(key, "tok-1", 300)
    assert cache.get(key) == "tok-1"
    clock.now += 269  # renewed a little early (90 % of the lifetime)
    assert cache.get(key) == "tok-1"
    clock.now += 2
    assert cache.get(key) is None
    cache.put(key, "tok-2", 5)  # registries that advertise less than 60 s still get 60 s (as docker does)
    clock.now += 50
    assert cache.get(key) == "tok-2"
    clock.now += 10
    assert cache.get(key) is None


def test_token_cache_keys_separate_realm_service_scope_and_identity(clock: _Clock) -> None:
    cache = TokenCache()
    base = ("https://a/t", "svc", ["repository:x:pull"], "anonymous")
    cache.put(cache.key(*base), "tok", 300)
    assert cache.key("https://a/t", "svc", ["b", "a"], "i") == cache.key("https://a/t", "svc", ["a", "b", "a"], "i")
    for other in [
        ("https://b/t", "svc", ["repository:x:pull"], "anonymous"),
        ("https://a/t", "other", ["repository:x:pull"], "anonymous"),
        ("https://a/t", "svc", ["repository:y:pull"], "anonymous"),
        ("https://a/t", "svc", ["repository:x:pull"], "basic:user"),
    ]:
        assert cache.get(cache.key(*other)) is None
    assert cache.secrets() == ["tok"]
    cache.drop(cache.key(*base))
    assert cache.get(cache.key(*base)) is None
    assert "tok" not in repr(cache._tokens)
