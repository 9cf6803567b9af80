"""Image references: parse, normalise and print `[domain/]path[:tag][@digest]`.

Owns the distribution/reference grammar and Docker's normalisation of familiar names
(`alpine` -> `docker.io/library/alpine`), as `ParseNormalizedNamed` does it. Nothing here
touches the network or adds the implicit `latest` tag; `canonical_tagged` is the one place
that spells it out, for lock-file keys.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "DEFAULT_DOMAIN",
    "MAX_INPUT_LENGTH",
    "MAX_PATH_LENGTH",
    "MAX_TAG_LENGTH",
    "ImageRef",
    "ReferenceError",
    "parse",
]

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DEFAULT_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_LOCALHOST = "localhost"

MAX_PATH_LENGTH = 255  # distribution/reference: the path only, domain excluded (v0.6.0+)
MAX_TAG_LENGTH = 128
# Not part of the grammar: a bound on the work a backtracking regex may be given.
MAX_INPUT_LENGTH = 4096

# Transliterated from distribution/reference regexp.go. Go's classes are ASCII, so the
# classes are spelled out and every pattern is compiled with re.ASCII and used with
# fullmatch (Python's `$` would also accept a trailing newline).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"

_DOMAIN_RE = re.compile(rf"{_HOST}(?::[0-9]+)?", re.ASCII)
_PATH_RE = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*", re.ASCII)
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", re.ASCII)  # length checked apart
_DIGEST_RE = re.compile(
    r"([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})", re.ASCII
)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}", re.ASCII)

# go-digest's registered algorithms and their encoded lengths; each requires lowercase hex.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+", re.ASCII)


# Shadows the builtin weakref ReferenceError inside this module only; the name is the API.
class ReferenceError(ValueError):
    """Invalid image reference; str(e) is a clear one-line reason."""


class ImageRef(NamedTuple):
    """A normalised image reference.

    `domain` is kept as written (only `index.docker.io` becomes `docker.io`); `path` carries
    the `library/` prefix for Docker Hub official images; `tag` and `digest` are None when
    absent. `name:tag@digest` keeps both, and the digest is the authoritative part.
    """

    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The short form Docker prints: `alpine`, `foo/bar`, `ghcr.io/x/y`."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(_OFFICIAL_PREFIX):
            short = self.path[len(_OFFICIAL_PREFIX) :]
            if "/" not in short:
                return short
        return self.path

    @property
    def registry_host(self) -> str:
        """The domain for comparisons: host names are case-insensitive, lookup keys are not."""
        return self.domain.lower()

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def with_digest(self, digest: str) -> ImageRef:
        """This reference pinned to `digest` (tag kept); raises ReferenceError if invalid."""
        _check_digest(digest)
        return self._replace(digest=digest)

    @property
    def canonical_tagged(self) -> str:
        """`name:tag` with the implicit `latest` spelled out: the lock-file key."""
        return f"{self.name}:{self.tag or 'latest'}"


def parse(text: str) -> ImageRef:
    """Parse a reference as written and normalise it like Docker's ParseNormalizedNamed.

    Familiar names gain `docker.io/` and, for single-component paths, `library/`. The
    implicit `latest` tag is not added. Raises ReferenceError for anything invalid.
    """
    if not text:
        raise ReferenceError("invalid reference format: empty reference")
    if len(text) > MAX_INPUT_LENGTH:
        raise ReferenceError(
            f"invalid reference format: longer than {MAX_INPUT_LENGTH} characters ({len(text)})"
        )
    if text[0].isspace() or text[-1].isspace():
        raise ReferenceError("invalid reference format: leading or trailing whitespace")
    if _IDENTIFIER_RE.fullmatch(text):
        raise ReferenceError("cannot use a 64-character hex image ID as a reference")

    domain, remainder = _split_domain(text)

    rest, at, digest = remainder.partition("@")
    written_path, colon, tag = rest.partition(":")
    path = written_path
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = _OFFICIAL_PREFIX + path

    # Docker checks case before the grammar, so `ALPINE` gets this message, not a format error.
    if path != path.lower():
        raise ReferenceError(f"repository name must be lowercase: {_show(written_path)}")
    if not _DOMAIN_RE.fullmatch(domain):
        raise ReferenceError(f"invalid reference format: invalid registry host {_show(domain)}")
    if not written_path:
        raise ReferenceError("invalid reference format: missing repository name")
    if not _PATH_RE.fullmatch(path):
        raise ReferenceError(
            f"invalid reference format: invalid repository name {_show(written_path)}"
        )
    if len(path) > MAX_PATH_LENGTH:
        raise ReferenceError(f"repository name too long ({len(path)} > {MAX_PATH_LENGTH})")
    if colon:
        _check_tag(tag)
    if at:
        _check_digest(digest)
    return ImageRef(domain, path, tag if colon else None, digest if at else None)


def _split_domain(text: str) -> tuple[str, str]:
    """Docker's splitDockerDomain, without the `library/` step: (domain, rest as written).

    The first component names a registry only if it could not be a Docker Hub namespace:
    it has a `.` or `:`, is `localhost`, or has an uppercase letter (namespaces are lowercase).
    """
    first, slash, remainder = text.partition("/")
    if not slash or (
        "." not in first and ":" not in first and first != _LOCALHOST and first == first.lower()
    ):
        return DEFAULT_DOMAIN, text
    if first == _LEGACY_DEFAULT_DOMAIN:
        return DEFAULT_DOMAIN, remainder
    return first, remainder


def _check_tag(tag: str) -> None:
    if not tag:
        raise ReferenceError("invalid tag: empty tag after ':'")
    if not _TAG_RE.fullmatch(tag):
        raise ReferenceError(
            f"invalid tag {_show(tag)}: use letters, digits, '_', '.' and '-',"
            " not starting with '.' or '-'"
        )
    if len(tag) > MAX_TAG_LENGTH:
        raise ReferenceError(f"invalid tag: too long ({len(tag)} > {MAX_TAG_LENGTH})")


def _check_digest(digest: str) -> None:
    if not digest:
        raise ReferenceError("invalid digest: empty digest after '@'")
    match = _DIGEST_RE.fullmatch(digest)
    if match is None:
        raise ReferenceError(
            f"invalid digest {_show(digest)}: expected <algorithm>:<hex>, e.g. sha256:<64 hex>"
        )
    algorithm, encoded = match.groups()
    expected = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        raise ReferenceError(
            f"invalid digest: unsupported algorithm {_show(algorithm)}"
            " (expected sha256, sha384 or sha512)"
        )
    if len(encoded) != expected:
        raise ReferenceError(
            f"invalid digest: {algorithm} needs {expected} hex characters, got {len(encoded)}"
        )
    if not _LOWER_HEX_RE.fullmatch(encoded):
        raise ReferenceError(f"invalid digest: {algorithm} hex must be lowercase")


def _show(part: str) -> str:
    """Quote a piece of the input for an error message: one line, bounded length."""
    if len(part) > 60:
        part = part[:57] + "..."
    return repr(part)
