"""GitHub's alert signatures (docs/contract.md, GitHub secret scanning): what verifies and what does not.

GitHub's documented test vector must verify; signatures made here with fresh keys by the
`cryptography` library cover a rotated key, another key's identifier, a changed or re-serialised
body, and signatures that are not strict DER.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from admin_token.github_keys import KeyDocumentError, parse_key_document, signature_verifies, strict_der_signature
from tests.support.github import (
    DOCS_BODY,
    DOCS_KEY_IDENTIFIER,
    DOCS_SIGNATURE,
    ROTATED_DOCS_BODY,
    ROTATED_DOCS_KEY_IDENTIFIER,
    ROTATED_DOCS_SIGNATURE,
    SigningKey,
    docs_key_document,
    key_document,
    match,
    matches_body,
)

BODY = matches_body([match("glpat-leakedOnGitHubTk1", "https://github.com/octo/repo/blob/a1/.env")])


def test_githubs_documented_sample_request_verifies_with_the_key_github_publishes() -> None:
    keys = parse_key_document(json.dumps(docs_key_document()).encode())
    assert signature_verifies(DOCS_BODY, DOCS_SIGNATURE, keys[DOCS_KEY_IDENTIFIER])


def test_githubs_earlier_sample_verifies_with_its_key_no_longer_current() -> None:
    keys = parse_key_document(json.dumps(docs_key_document()).encode())
    assert signature_verifies(ROTATED_DOCS_BODY, ROTATED_DOCS_SIGNATURE, keys[ROTATED_DOCS_KEY_IDENTIFIER])


def test_the_documented_signature_does_not_verify_under_the_other_documented_key() -> None:
    keys = parse_key_document(json.dumps(docs_key_document()).encode())
    assert not signature_verifies(DOCS_BODY, DOCS_SIGNATURE, keys[ROTATED_DOCS_KEY_IDENTIFIER])


def test_a_fresh_key_and_a_rotated_one_both_verify_what_they_signed() -> None:
    current, rotated = SigningKey.generate(), SigningKey.generate()
    keys = parse_key_document(key_document(rotated.entry(is_current=False), current.entry()))
    assert signature_verifies(BODY, current.sign(BODY), keys[current.identifier])
    assert signature_verifies(BODY, rotated.sign(BODY), keys[rotated.identifier])


def test_a_signature_checked_under_another_keys_identifier_fails() -> None:
    signer, other = SigningKey.generate(), SigningKey.generate()
    keys = parse_key_document(key_document(signer.entry(), other.entry()))
    assert not signature_verifies(BODY, signer.sign(BODY), keys[other.identifier])


def test_a_body_changed_by_one_byte_or_re_serialised_fails() -> None:
    signer = SigningKey.generate()
    key = parse_key_document(key_document(signer.entry()))[signer.identifier]
    signature = signer.sign(BODY)
    for index in (0, len(BODY) // 2, len(BODY) - 1):
        changed = bytearray(BODY)
        changed[index] ^= 0x01
        assert not signature_verifies(bytes(changed), signature, key), index
    reserialised = json.dumps(json.loads(BODY), indent=1).encode()
    assert json.loads(reserialised) == json.loads(BODY)
    assert not signature_verifies(reserialised, signature, key)
    assert not signature_verifies(BODY + b"\n", signature, key)


def _der_length(length: int) -> bytes:
    return bytes([length]) if length < 0x80 else bytes([0x81, length])


def test_signatures_that_are_not_strict_der_fail_even_when_r_and_s_are_right() -> None:
    signer = SigningKey.generate()
    key = parse_key_document(key_document(signer.entry()))[signer.identifier]
    der = signer.sign_der(BODY)
    r, s = decode_dss_signature(der)
    raw_r_s = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # IEEE P1363, as JOSE and WebCrypto sign
    # The same SEQUENCE with a long-form length, which BER allows and DER does not.
    content = der[2:]
    long_form = bytes([0x30, 0x81, len(content)]) + content
    # An INTEGER padded with a leading zero it does not need.
    r_bytes = r.to_bytes((r.bit_length() + 8) // 8, "big")
    padded_r = b"\x00" + r_bytes
    s_bytes = s.to_bytes((s.bit_length() + 8) // 8, "big")
    integers = b"\x02" + _der_length(len(padded_r)) + padded_r + b"\x02" + _der_length(len(s_bytes)) + s_bytes
    padded = b"\x30" + _der_length(len(integers)) + integers
    for name, candidate in {
        "raw r||s": raw_r_s,
        "trailing byte": der + b"\x00",
        "long-form length": long_form,
        "padded integer": padded,
        "truncated": der[:-1],
        "half": der[: len(der) // 2],
        "empty": b"",
    }.items():
        encoded = base64.b64encode(candidate).decode()
        assert not signature_verifies(BODY, encoded, key), name
    assert signature_verifies(BODY, base64.b64encode(der).decode(), key)


@pytest.mark.parametrize(
    "signature",
    ["not base64!", "MEQCIA", "  ", "é", DOCS_SIGNATURE.rstrip("=")],
)
def test_a_signature_that_is_not_base64_of_der_is_refused(signature: str) -> None:
    assert strict_der_signature(signature) is None


def test_the_key_document_keeps_only_usable_p256_keys_and_drops_an_identifier_listed_twice() -> None:
    good, twice_a, twice_b = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    twice_b.identifier = twice_a.identifier
    document = key_document(
        good.entry(),
        twice_a.entry(),
        twice_b.entry(),
        {"key_identifier": "not-pem", "key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
        {"key_identifier": "", "key": good.public_pem()},
        {"key": good.public_pem()},
        "not an object",
    )
    assert list(parse_key_document(document)) == [good.identifier]


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b"{}", b'{"public_keys": {}}', b"\xff", b'{"public_keys": [], "public_keys": []}'],
)
def test_what_is_not_a_key_document_is_refused(raw: bytes) -> None:
    with pytest.raises(KeyDocumentError):
        parse_key_document(raw)
