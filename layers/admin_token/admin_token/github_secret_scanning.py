"""GitHub's secret scanning partner alerts: verified, our tokens queued for the worker, answered with feedback.

GitHub posts the matches of our token formats it finds in public repositories, gists, issues and
npm packages. The alert is trusted only once GitHub's signature over its raw bytes verifies
(`admin_token.github_keys`); nothing is parsed before that but its size. Each live revocable token
of ours is then queued on the revocation queue (as its digest, as `POST /v1/revoke_tokens`
queues), for the worker to revoke as GitHub Secret Scanning; the answer is GitHub's feedback
format: one `{"token_hash", "token_type", "label"}` per distinct token, never the token itself.
"""

from __future__ import annotations

from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.config import GITHUB_AUTO_REVOKE_FLAG, load_configuration
from admin_token.digests import token_digest
from admin_token.errors import FeatureDisabled, Unauthenticated
from admin_token.github_keys import GitHubKeys, github_keys, signature_verifies
from admin_token.models.github_alerts import AlertRequest, Match
from admin_token.observability import logger, metrics
from admin_token.revocation_queue import GITHUB_SECRET_SCANNING_AUTHOR, MAX_LOCATION_CHARS, RevocationMessage, send_all
from admin_token.secret_detection import GITHUB_SECRET_SCANNING_CONTEXT, REVOCABLE_TYPES
from admin_token.storage import TokenStore
from admin_token.storage.dynamodb import default_store
from admin_token.token_types import match_token_type

TRUE_POSITIVE: Final = "true_positive"
FALSE_POSITIVE: Final = "false_positive"


def verify_alert(request: AlertRequest, keys: GitHubKeys) -> None:
    """401 unless the named GitHub key signed exactly these bytes; 503 if no key document can be had."""
    if request.body is None or not request.key_identifier or not request.signature:
        raise _rejected("incomplete")
    key = keys.key(request.key_identifier)
    if key is None:
        raise _rejected("unknown_key")
    if not signature_verifies(request.body, request.signature, key):
        raise _rejected("bad_signature")


def _rejected(reason: str) -> Unauthenticated:
    metrics.add_metric(name="GitHubAlertRejected", unit=MetricUnit.Count, value=1)
    logger.warning("GitHub alert not verified", extra={"reason": reason})  # never the headers' values
    return Unauthenticated()


def answer_alert(
    request: AlertRequest, store: TokenStore | None = None, keys: GitHubKeys | None = None
) -> list[dict[str, Any]]:
    """The feedback for one alert, after queuing its live revocable tokens: checks in the contract's order."""
    request.check_size()
    verify_alert(request, keys or github_keys())
    parsed = request.parsed()
    parsed.check_count()
    configuration = load_configuration()
    if not configuration.flag(GITHUB_AUTO_REVOKE_FLAG, GITHUB_SECRET_SCANNING_CONTEXT):
        raise FeatureDisabled(GITHUB_AUTO_REVOKE_FLAG)
    matches = parsed.check_matches()

    # One entry per distinct token, in the order first seen: the first match's type and URL are kept.
    distinct: dict[str, tuple[Match, str | None]] = {}
    for match in matches:
        digest = token_digest(match.token)
        if digest not in distinct:
            token_type = match_token_type(match.token, configuration)
            distinct[digest] = (match, token_type.name if token_type else None)
    store = store or default_store()
    ours = [digest for digest, (_, type_name) in distinct.items() if type_name is not None]
    stored = store.get_tokens(ours) if ours else {}  # BatchGetItem, 100 keys a call: the only reads

    feedback: list[dict[str, Any]] = []
    messages: list[RevocationMessage] = []
    for digest, (match, type_name) in distinct.items():
        item = stored.get(digest) if type_name is not None else None
        tombstone = store.tombstone(item) if item is not None else None
        live = item is not None and tombstone is None and item.token_type == type_name
        real = live or tombstone is not None  # a tombstone: a real credential, already revoked
        if live and type_name in REVOCABLE_TYPES:
            location = match.location[:MAX_LOCATION_CHARS] if match.location else None
            messages.append(RevocationMessage(digest, str(type_name), location, GITHUB_SECRET_SCANNING_AUTHOR))
        feedback.append(
            {"token_hash": digest, "token_type": match.token_type, "label": TRUE_POSITIVE if real else FALSE_POSITIVE}
        )
    if messages:
        send_all(messages)
    true_positives = sum(1 for entry in feedback if entry["label"] == TRUE_POSITIVE)
    metrics.add_metric(name="GitHubAlertAnswered", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="GitHubTruePositive", unit=MetricUnit.Count, value=true_positives)
    logger.info(
        "GitHub alert answered",
        extra={"matches": len(matches), "distinct": len(distinct), "true_positives": true_positives,
               "queued": len(messages)},
    )  # fmt: skip
    return feedback
