"""The client: sign the raw body with a P-256 key and POST it, as GitHub does.

GitHub posts a JSON array of matches to a partner's endpoint, with `Github-Public-Key-Identifier`
naming the key and `Github-Public-Key-Signature` holding the base64 of a DER ECDSA (P-256,
SHA-256) signature of the exact bytes sent. `admin-token-api github-alert` is this module wired to
the command line; the local `serve` generates the key it signs with by default.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from github_alert import ALERT_PATH

TIMEOUT_SECONDS: Final = 30  # GitHub's own timeout for partners that send feedback


class InputError(Exception):
    """A file or argument that cannot be used (exit 2); the message never quotes a token."""


class SendError(Exception):
    """The alert could not be sent, or was not answered (exit 1)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_identifier(key: ec.EllipticCurvePrivateKey) -> str:
    """The identifier a key document lists this key under: the hex SHA-256 of its public key (DER)."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def key_document(key: ec.EllipticCurvePrivateKey, identifier: str | None = None) -> dict[str, Any]:
    """A key document in GitHub's format publishing this key's public half as the current key."""
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    entry = {"key_identifier": identifier or key_identifier(key), "key": pem.decode("ascii"), "is_current": True}
    return {"public_keys": [entry]}


def private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read key {path}: {(error.strerror or type(error).__name__).lower()}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InputError(f"key {path} is not an unencrypted PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InputError(f"key {path} is not a NIST P-256 key, which GitHub signs with")
    return key


def read_matches(path: Path) -> bytes:
    """The file's matches as the body GitHub would send: a compact JSON array of objects."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read matches {path}: {(error.strerror or type(error).__name__).lower()}") from None
    except ValueError:
        raise InputError(f"matches {path} is not valid JSON") from None
    if not isinstance(document, list) or not all(isinstance(element, dict) for element in document):
        raise InputError(f"matches {path} must hold a JSON array of objects (token, type, url, source)")
    for index, element in enumerate(document):
        if not isinstance(element.get("token"), str) or not element["token"]:
            raise InputError(f"matches {path}: match {index} has no token")
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(body: bytes, key: ec.EllipticCurvePrivateKey) -> str:
    return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def send_alert(base_url: str, body: bytes, key: ec.EllipticCurvePrivateKey, identifier: str) -> Answer:
    """POST the signed body to `base_url` + /v1/github/secret_scanning; the answer, whatever its status."""
    if not base_url.startswith(("http://", "https://")):
        raise InputError("--url must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        base_url.rstrip("/") + ALERT_PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Secret-Scanning (admin-token-api github-alert)",
            "Github-Public-Key-Identifier": identifier,
            "Github-Public-Key-Signature": sign(body, key),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise SendError(f"cannot reach {base_url}: {reason}") from None
