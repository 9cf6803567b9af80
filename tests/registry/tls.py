"""Throwaway TLS material made with openssl: a CA, a server certificate, and the ES256 token signer."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import ssl
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .common import RegistryTestError

# --------------------------------------------------------------------------------------------
# openssl: throwaway CA, server certificate, token signing key
# --------------------------------------------------------------------------------------------


def _run_tool(*argv: str, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(list(argv), input=stdin, capture_output=True, check=False, timeout=30)
    except FileNotFoundError as exc:
        raise RegistryTestError(f"{argv[0]} is not installed") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").strip()
        raise RegistryTestError(f"{' '.join(argv[:2])} failed ({result.returncode}): {output}")
    return result.stdout


def _new_ec_cert(directory: Path, stem: str, subject: str, *extensions: str) -> tuple[Path, Path]:
    key, cert = directory / f"{stem}.key", directory / f"{stem}.pem"
    args = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    args += ["-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", subject]
    for extension in extensions:
        args += ["-addext", extension]
    _run_tool(*args)
    return key, cert


@dataclass(frozen=True)
class TLSFiles:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost signed by it."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only the throwaway CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_tls_files(directory: Path, hosts: Iterable[str] = ("127.0.0.1", "localhost")) -> TLSFiles:
    """Create `ca.pem` (+ key) and `server.pem`/`server.key` for `hosts` in `directory` with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _new_ec_cert(
        directory,
        "ca",
        "/CN=pinlint test CA",
        "basicConstraints=critical,CA:TRUE",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    san = ",".join(f"IP:{h}" if re.fullmatch(r"[\d.]+|[0-9a-fA-F:]+", h) else f"DNS:{h}" for h in hosts)
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    _run_tool(
        "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    extfile = directory / "server.ext"
    extfile.write_text(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    _run_tool(
        "openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
        "-set_serial", str(secrets.randbits(63)), "-days", "7", "-extfile", str(extfile), "-out", str(cert),
    )  # fmt: skip
    return TLSFiles(ca_file=ca_cert, cert_file=cert, key_file=key)


def _pem_to_der(pem: str) -> bytes:
    body = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    if body is None:
        raise RegistryTestError("no certificate in PEM")
    return base64.b64decode("".join(body.group(1).split()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _der_ecdsa_to_raw(der: bytes) -> bytes:
    """ECDSA-Sig-Value (DER SEQUENCE of r, s) → the 64-byte r||s that JWS ES256 wants."""

    def read_len(pos: int) -> tuple[int, int]:
        first = der[pos]
        if first < 0x80:
            return first, pos + 1
        count = first & 0x7F
        return int.from_bytes(der[pos + 1 : pos + 1 + count], "big"), pos + 1 + count

    if der[0] != 0x30:
        raise RegistryTestError("not a DER ECDSA signature")
    _, pos = read_len(1)
    values = []
    for _ in range(2):
        if der[pos] != 0x02:
            raise RegistryTestError("not a DER ECDSA signature")
        length, pos = read_len(pos + 1)
        values.append(int.from_bytes(der[pos : pos + length], "big"))
        pos += length
    return values[0].to_bytes(32, "big") + values[1].to_bytes(32, "big")


class ES256Signer:
    """An EC P-256 key with a self-signed certificate, signing JWS ES256 (cryptography, else openssl)."""

    def __init__(self, directory: Path, *, use_cryptography: bool = True) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.key_file, self.cert_file = _new_ec_cert(directory, "token-signer", "/CN=pinlint test token signer")
        self.cert_der = _pem_to_der(self.cert_file.read_text())
        spki = _run_tool("openssl", "pkey", "-in", str(self.key_file), "-pubout", "-outform", "DER")
        # libtrust key id: base32 of the first 30 bytes of sha256(SPKI DER), 12 groups of 4.
        encoded = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode().rstrip("=")
        self.kid = ":".join(encoded[i : i + 4] for i in range(0, 48, 4))
        self._key: Any = None
        if use_cryptography:
            try:
                from cryptography.hazmat.primitives.serialization import load_pem_private_key
            except ImportError:  # fall back to the openssl CLI
                pass
            else:
                self._key = load_pem_private_key(self.key_file.read_bytes(), password=None)

    @property
    def backend(self) -> str:
        return "cryptography" if self._key is not None else "openssl"

    def sign(self, data: bytes) -> bytes:
        if self._key is not None:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec

            der: bytes = self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        else:
            der = _run_tool("openssl", "dgst", "-sha256", "-sign", str(self.key_file), stdin=data)
        return _der_ecdsa_to_raw(der)

    def jwt(self, claims: Mapping[str, Any], *, key_id: Literal["x5c", "kid"] = "x5c") -> str:
        header: dict[str, Any] = {"typ": "JWT", "alg": "ES256"}
        if key_id == "x5c":
            header["x5c"] = [base64.b64encode(self.cert_der).decode("ascii")]
        else:
            header["kid"] = self.kid
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + _b64url(self.sign(signing_input.encode("ascii")))
