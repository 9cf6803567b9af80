"""The floor under `pinlint resolve` on this machine: HEAD every reference's manifest with
httpx's synchronous client on a thread pool, and nothing else (no configuration, cache, auth,
retries, deadline or checks). `bench/resolve.py` times it beside pinlint and pindock as the row
"httpx alone", so a ratio pinlint cannot reach while it keeps httpx shows as such in the same run.

    python bench/httpx_floor.py HOST/REPO:TAG ...    # prints "REFERENCE@DIGEST" per line

Plain http only (the bench's loopback registry); 16 requests at once, pinlint's default
concurrency per registry, over two clients of eight connections as pinlint spreads them.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import httpx

ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
CONCURRENCY = 16


def main(refs: list[str]) -> int:
    clients = [httpx.Client(timeout=30.0) for _ in range(2)]

    def head(item: tuple[int, str]) -> str:
        index, ref = item
        host, _, rest = ref.partition("/")
        name, _, tag = rest.rpartition(":")
        url = f"http://{host}/v2/{name}/manifests/{tag}"
        response = clients[index % len(clients)].head(url, headers={"Accept": ACCEPT})
        return f"{ref}@{response.headers.get('docker-content-digest', '')}"

    with ThreadPoolExecutor(min(CONCURRENCY, max(1, len(refs)))) as pool:
        lines = list(pool.map(head, enumerate(refs)))
    for client in clients:
        client.close()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
