"""GitHub's side of secret scanning alerts, for tests: key pairs, key documents, signed alerts.

Keys are made fresh by the `cryptography` library; GitHub's own documented test vector is here too,
with its source.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

# GitHub's "Secret scanning partner program" page, "Implement signature verification in your secret
# alert service" (https://docs.github.com/en/code-security/secret-scanning/secret-scanning-partnership-program/secret-scanning-partner-program#implement-signature-verification-in-your-secret-alert-service):
# its "Sample HTTP POST sent to verify endpoint", signed by the key GitHub publishes under this
# identifier at https://api.github.com/meta/public_keys/secret_scanning (is_current: true there).
DOCS_KEY_IDENTIFIER = "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c"
DOCS_SIGNATURE = "MEQCIQDaMKqrGnE27S0kgMrEK0eYBmyG0LeZismAEz/BgZyt7AIfXt9fErtRS4XaeSt/AO1RtBY66YcAdjxji410VQV4xg=="
DOCS_BODY = b'[{"source":"commit","token":"some_token","type":"some_type","url":"https://example.com/base-repo-url/"}]'
DOCS_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYAGMWO8XgCamYKMJS6jc/qgvSlAd\n"
    "AjPuDPRcXU22YxgBrz+zoN19MzuRyW87qEt9/AmtoNP5GrobzUvQSyJFVw==\n"
    "-----END PUBLIC KEY-----\n"
)
# The same page before GitHub rotated that key (its Python sample, github/docs pull request 18776):
# a request signed by the key now published under this identifier with is_current: false.
ROTATED_DOCS_KEY_IDENTIFIER = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"
ROTATED_DOCS_SIGNATURE = (
    "MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc="
)
ROTATED_DOCS_BODY = b'[{"token":"some_token","type":"some_type","url":"some_url"}]'
ROTATED_DOCS_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq\n"
    "kCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==\n"
    "-----END PUBLIC KEY-----\n"
)


def docs_key_document() -> dict[str, Any]:
    """GitHub's key document as it publishes the two documented keys."""
    return {
        "public_keys": [
            {"key_identifier": ROTATED_DOCS_KEY_IDENTIFIER, "key": ROTATED_DOCS_PUBLIC_KEY, "is_current": False},
            {"key_identifier": DOCS_KEY_IDENTIFIER, "key": DOCS_PUBLIC_KEY, "is_current": True},
        ]
    }


@dataclass
class SigningKey:
    """A P-256 key pair and the identifier a key document lists it under."""

    private: ec.EllipticCurvePrivateKey
    identifier: str

    @classmethod
    def generate(cls) -> SigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private, hashlib.sha256(der).hexdigest())

    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def entry(self, *, is_current: bool = True) -> dict[str, Any]:
        return {"key_identifier": self.identifier, "key": self.public_pem(), "is_current": is_current}

    def sign_der(self, body: bytes) -> bytes:
        return self.private.sign(body, ec.ECDSA(hashes.SHA256()))

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.sign_der(body)).decode("ascii")


def key_document(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"public_keys": list(entries)}).encode("utf-8")


def matches_body(matches: list[dict[str, Any]]) -> bytes:
    """A body as GitHub serialises it: compact JSON."""
    return json.dumps(matches, separators=(",", ":")).encode("utf-8")


PAT_TYPE = "gitlab_personal_access_token"  # GitHub's name for the pattern that matched (a hint only)


def match(token: str, url: str = "", *, pattern: str = PAT_TYPE, source: str = "content") -> dict[str, Any]:
    """One match as GitHub sends it."""
    return {"token": token, "type": pattern, "url": url, "source": source}
