"""Pushing images over the registry API with httpx: `ImagePusher`, `ImageSet`, challenge auth."""

from __future__ import annotations

import base64
import re
import secrets
import ssl
from collections.abc import Generator, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import httpx

from .common import IMAGE_KINDS, ImageKind, PushError, sha256_digest
from .images import Manifest, build_image
from .server import Registry

# --------------------------------------------------------------------------------------------
# Pushing over the registry API
# --------------------------------------------------------------------------------------------


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="…",service="…"` → ("bearer", {"realm": …, "service": …}) (first challenge only)."""
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v1 if v1 or not v2 else v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', rest)}
    return scheme.lower(), params


class ChallengeAuth(httpx.Auth):
    """httpx auth for pushing: answers 401 challenges with Basic credentials or a Bearer token from the realm."""

    requires_response_body = True

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self._credentials = credentials
        self._basic = False
        self._tokens: dict[str, str] = {}

    def _basic_header(self) -> str:
        assert self._credentials is not None
        return "Basic " + base64.b64encode(":".join(self._credentials).encode()).decode()

    @staticmethod
    def _key(request: httpx.Request) -> str:
        match = re.match(r"/v2/(.+?)/(?:manifests|blobs|tags)/", request.url.path)
        return match.group(1) if match else ""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = self._key(request)
        if self._basic and self._credentials is not None:
            request.headers["Authorization"] = self._basic_header()
        elif key in self._tokens:
            request.headers["Authorization"] = f"Bearer {self._tokens[key]}"
        response = yield request
        if response.status_code != 401:
            return
        scheme, params = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic" and self._credentials is not None:
            self._basic = True
            request.headers["Authorization"] = self._basic_header()
            yield request
        elif scheme == "bearer" and "realm" in params:
            query: list[tuple[str, str | int | float | bool | None]] = [
                (k, params[k]) for k in ("service", "scope") if params.get(k)
            ]
            headers = {"Authorization": self._basic_header()} if self._credentials is not None else {}
            token_response = yield httpx.Request("GET", params["realm"], params=query, headers=headers)
            if token_response.status_code != 200:
                raise PushError(f"token server answered {token_response.status_code} for {query}")
            answer = token_response.json()
            self._tokens[key] = answer.get("token") or answer["access_token"]
            request.headers["Authorization"] = f"Bearer {self._tokens[key]}"
            yield request


class PushedImage(NamedTuple):
    """What a tag points to: the top digest, its media type, and platform → image manifest digest."""

    digest: str
    media_type: str
    platforms: dict[str, str]


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise PushError(f"{what}: expected {status}, got {response.status_code}: {response.text[:500]}")


class ImagePusher:
    """Pushes blobs and manifests with httpx: `POST uploads/` → `PUT ?digest=`, `PUT manifests/<ref>`.

    Every digest is computed locally and checked against the registry's `Docker-Content-Digest`.
    Works with Basic and token auth when given credentials (`ImagePusher.for_registry` picks them).
    """

    def __init__(
        self,
        base_url: str,
        *,
        credentials: tuple[str, str] | None = None,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.base_url, auth=ChallengeAuth(credentials), verify=verify, timeout=timeout, trust_env=False
        )

    @classmethod
    def for_registry(cls, registry: Registry, *, credentials: tuple[str, str] | None = None) -> ImagePusher:
        return cls(registry.url, credentials=credentials or registry.credentials, verify=registry.verify)

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256_digest(data)
        started = self.client.post(f"/v2/{repo}/blobs/uploads/")
        _expect(started, 202, f"start upload to {repo}")
        location = httpx.URL(self.base_url + "/").join(started.headers["Location"])
        done = self.client.put(
            location.copy_merge_params({"digest": digest}),
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _expect(done, 201, f"finish upload of {digest} to {repo}")
        if done.headers.get("Docker-Content-Digest") != digest:
            raise PushError(
                f"blob digest mismatch: sent {digest}, registry says {done.headers.get('Docker-Content-Digest')}"
            )
        return digest

    def push_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        digest = sha256_digest(body)
        response = self.client.put(
            f"/v2/{repo}/manifests/{reference}", content=body, headers={"Content-Type": media_type}
        )
        _expect(response, 201, f"push manifest {repo}:{reference}")
        answered = response.headers.get("Docker-Content-Digest")
        if answered != digest:
            raise PushError(f"manifest digest mismatch for {repo}:{reference}: sent {digest}, registry says {answered}")
        return digest

    def push(self, repo: str, manifest: Manifest, tag: str | None = None) -> str:
        """Push a manifest tree (blobs, children by digest, then the top under `tag` or its digest)."""
        for child in manifest.children:
            self.push(repo, child)
        for blob in manifest.blobs:
            self.push_blob(repo, blob.data)
        return self.push_manifest(repo, tag or manifest.digest, manifest.body, manifest.media_type)

    def push_image(self, repo: str, tag: str, kind: ImageKind = "multi-oci", *, seed: str | None = None) -> PushedImage:
        """Build and push one image of `kind` under `tag` (seed defaults to `repo:tag`)."""
        manifest = build_image(kind, seed=seed if seed is not None else f"{repo}:{tag}")
        digest = self.push(repo, manifest, tag)
        return PushedImage(digest, manifest.media_type, manifest.platforms)

    def push_many(
        self, repo: str, tags: Iterable[str], kind: ImageKind = "single-oci", *, workers: int = 8
    ) -> dict[str, PushedImage]:
        """Push one image of `kind` per tag (content seeded per tag) over `workers` threads."""
        wanted = list(tags)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            pushed = list(pool.map(lambda tag: self.push_image(repo, tag, kind), wanted))
        return dict(zip(wanted, pushed, strict=True))

    def retag(self, repo: str, tag: str, kind: ImageKind = "single-oci", *, salt: str | None = None) -> PushedImage:
        """Push new content under an existing tag (the tag "moves"; the old digest stays fetchable)."""
        return self.push_image(repo, tag, kind, seed=f"{repo}:{tag}:{salt or secrets.token_hex(8)}")

    def delete_manifest(self, repo: str, digest: str) -> None:
        response = self.client.delete(f"/v2/{repo}/manifests/{digest}")
        _expect(response, 202, f"delete {repo}@{digest}")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ImagePusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageSet(dict[str, PushedImage]):
    """tag → PushedImage for a set of tags pushed into one repository, plus the manifest trees."""

    def __init__(self, repo: str) -> None:
        super().__init__()
        self.repo = repo
        self.manifests: dict[str, Manifest] = {}

    @classmethod
    def push(
        cls,
        pusher: ImagePusher,
        repo: str = "test/app",
        tags: Iterable[str] | Mapping[str, ImageKind] = IMAGE_KINDS,
        *,
        salt: str = "",
    ) -> ImageSet:
        """Push `tags` (kind names, or a tag → kind mapping) into `repo`; `salt` changes every digest."""
        wanted: Mapping[str, str] = tags if isinstance(tags, Mapping) else {t: t for t in tags}
        images = cls(repo)
        for tag, kind in wanted.items():
            if kind not in IMAGE_KINDS:
                raise ValueError(f"unknown image kind {kind!r}; expected one of {IMAGE_KINDS}")
            manifest = build_image(kind, seed=f"{repo}:{tag}:{salt}")
            digest = pusher.push(repo, manifest, tag)
            images.manifests[tag] = manifest
            images[tag] = PushedImage(digest, manifest.media_type, manifest.platforms)
        return images

    def reference(self, tag: str, host: str) -> str:
        """`host/repo:tag` for the registry at `host`."""
        return f"{host}/{self.repo}:{tag}"
