"""Everything that talks to registries, one concern per module.

`media` the manifest media types (a leaf); `manifest` what an answer means, on bytes (no I/O);
`transport` schemes, trust stores, keep-alive clients and bounded exchanges; `auth` challenge
parsing, realm validation and the token cache; `authflow` the auth flow of one request, a
generator the client drives; `retry` backoff, `Retry-After`, the run's deadline; `client` the
tag → digest client tying them together; `credentials` docker/podman credential stores;
`cache` the on-disk tag → digest cache.
"""
