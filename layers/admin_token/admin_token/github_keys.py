"""GitHub's secret scanning keys: the published key document, fetched and kept, and one signature checked.

GitHub signs each partner alert with ECDSA (NIST P-256, SHA-256) over the raw body, names the key
in `Github-Public-Key-Identifier`, and publishes its keys as
`{"public_keys": [{"key_identifier", "key": "<PEM>", "is_current"}]}`. A key that is no longer
current still verifies: GitHub rotates keys and an alert signed before the rotation may arrive after.

The document is kept for an hour. An identifier it does not hold causes a refetch, but at most one
fetch per minute per execution environment, so a flood of made-up identifiers costs GitHub one
request a minute. Verification uses the `cryptography` library (OpenSSL): only the named key is
tried, and only a strict DER signature counts.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Final

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.errors import KeysUnavailable
from admin_token.observability import logger, metrics
from admin_token.restore import on_new_environment

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

KEYS_URL_VARIABLE: Final = "GITHUB_KEYS_URL"
TOKEN_SECRET_VARIABLE: Final = "GITHUB_TOKEN_SECRET_ARN"
DEFAULT_KEYS_URL: Final = "https://api.github.com/meta/public_keys/secret_scanning"
KEYS_MAX_AGE_SECONDS: Final = 3600
MIN_SECONDS_BETWEEN_FETCHES: Final = 60
FETCH_TIMEOUT_SECONDS: Final = 3
# GitHub's document holds a handful of keys (~1 KB); anything far larger is not it.
MAX_DOCUMENT_BYTES: Final = 256 * 1024

PublicKeys = Mapping[str, "EllipticCurvePublicKey"]


class KeyDocumentError(ValueError):
    """Not a key document in GitHub's format (fixed text: never echoes the document)."""


def parse_key_document(raw: bytes) -> dict[str, EllipticCurvePublicKey]:
    """Identifier -> P-256 public key, for every usable key of the document.

    An entry that is not a P-256 key in PEM is left out (GitHub may publish other kinds one day),
    and so is an identifier listed twice: which of the two keys it names would be a guess.
    """
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from admin_token.json_body import InvalidJson, parse_json

    try:
        document = parse_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, InvalidJson) as error:  # a repeated key counts as not JSON: ambiguous
        raise KeyDocumentError("the key document is not JSON") from error
    entries = document.get("public_keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KeyDocumentError("the key document has no public_keys list")
    keys: dict[str, EllipticCurvePublicKey] = {}
    repeated: set[str] = set()
    for entry in entries:
        identifier = entry.get("key_identifier") if isinstance(entry, dict) else None
        pem = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or not identifier or not isinstance(pem, str):
            continue
        try:
            key = load_pem_public_key(pem.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError):
            continue
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            continue
        if identifier in keys:
            repeated.add(identifier)
        keys[identifier] = key
    for identifier in repeated:
        del keys[identifier]
    return keys


def strict_der_signature(signature: str) -> bytes | None:
    """The header's signature as DER bytes, or None unless it is base64 of a strict DER ECDSA signature."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    try:
        der = base64.b64decode(signature.encode("ascii"), validate=True)
        r, s = decode_dss_signature(der)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    # Re-encoding gives the one DER form of (r, s): anything else (trailing bytes, long-form
    # lengths, padded integers) is a different byte string for the same signature.
    return der if encode_dss_signature(r, s) == der else None


def signature_verifies(body: bytes, signature: str, key: EllipticCurvePublicKey) -> bool:
    """Whether `signature` (the header's base64) is `key`'s ECDSA P-256/SHA-256 signature of exactly `body`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    der = strict_der_signature(signature)
    if der is None:
        return False
    try:
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


class GitHubKeys:
    """The key document, kept for an hour; at most one fetch a minute, whatever asks for it.

    `fetch` returns the document's bytes or raises `OSError` (unreachable, an HTTP error). A
    failed fetch keeps the document already held, even past its hour; with none held it is
    `KeysUnavailable` (503: GitHub delivers the alert again).
    """

    def __init__(self, fetch: Callable[[], bytes], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, EllipticCurvePublicKey] | None = None
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    def key(self, identifier: str) -> EllipticCurvePublicKey | None:
        """The key GitHub publishes under `identifier`, or None once the allowed refetch did not find it."""
        with self._lock:
            now = self._clock()
            if self._keys is None or now - self._fetched_at >= KEYS_MAX_AGE_SECONDS:
                self._refresh(now)
            if self._keys is not None and identifier not in self._keys:
                self._refresh(now)
            if self._keys is None:
                raise KeysUnavailable
            return self._keys.get(identifier)

    def _refresh(self, now: float) -> None:
        if self._last_attempt is not None and now - self._last_attempt < MIN_SECONDS_BETWEEN_FETCHES:
            return
        self._last_attempt = now
        try:
            keys = parse_key_document(self._fetch())
        except (OSError, KeyDocumentError) as error:
            metrics.add_metric(name="GitHubKeysFetchFailed", unit=MetricUnit.Count, value=1)
            logger.warning("GitHub key document not fetched", extra={"error_type": type(error).__name__,
                                                                     "kept": self._keys is not None})  # fmt: skip
            return
        metrics.add_metric(name="GitHubKeysFetched", unit=MetricUnit.Count, value=1)
        self._keys, self._fetched_at = keys, now


# -- fetching from GitHub ----------------------------------------------------------------------


def fetch_key_document(url: str, token: str | None) -> bytes:
    """GET the document (with the GitHub token, if any, which only raises GitHub's rate limit)."""
    if not url.startswith(("https://", "http://")):
        raise OSError("the key document URL must be http(s)")
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "admin-token-api"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            raw: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:  # HTTPError is a URLError
        raise OSError(type(error).__name__) from error
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise OSError("the key document is too large")
    return raw


def github_token() -> str | None:
    """The optional GitHub token from Secrets Manager; None when none is configured or stored yet."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.config import Config

    name = os.environ.get(TOKEN_SECRET_VARIABLE)
    if not name:
        return None
    provider = SecretsProvider(
        boto_config=Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2})
    )
    try:
        value = provider.get(name, max_age=KEYS_MAX_AGE_SECONDS)
    except GetParameterError as error:
        # The template creates the secret empty: until someone stores a token, fetch without one.
        logger.info("No GitHub token for the key document fetch", extra={"error_type": type(error).__name__})
        return None
    return value.strip() or None if isinstance(value, str) else None


@cache
def github_keys() -> GitHubKeys:
    """This execution environment's keys, fetched from the configured URL on first use."""
    url = os.environ.get(KEYS_URL_VARIABLE) or DEFAULT_KEYS_URL
    return GitHubKeys(lambda: fetch_key_document(url, github_token()))


def reset_github_keys() -> None:
    """Forget the document and when it was fetched (tests; a new execution environment does this)."""
    github_keys.cache_clear()


# A restored copy's monotonic clock is not the snapshot's: the document's age, and the minute
# between fetches, are measured again from its own first fetch.
on_new_environment(reset_github_keys)
