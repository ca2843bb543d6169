"""GitLab's Token Revocation API: secret detection hands us its findings, a worker revokes them.

`GET /v1/revocable_token_types` lists GitLab's identifiers (`gitleaks_rule_id_<rule>`) of the
types a revoke changes; `POST /v1/revoke_tokens` queues each finding as its digest, its type and
its location; `revoke_queued` is the worker's revoke of one message, through the same
`service.carry_out` as every other revoke.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.audit import Author
from admin_token.config import (
    AUTO_REVOKE_FLAG,
    GITHUB_AUTO_REVOKE_FLAG,
    CallerContext,
    Configuration,
    load_configuration,
)
from admin_token.digests import token_digest
from admin_token.errors import ConfigurationUnavailable, FeatureDisabled, RevokeRefused, TokenNotFound, Unauthenticated
from admin_token.models.findings import FindingsRequest
from admin_token.models.frozen import Frozen
from admin_token.models.records import User
from admin_token.observability import logger, metrics
from admin_token.outcomes import ALREADY_REVOKED, HELD, NOT_FOUND, REFUSED, metric_name
from admin_token.restore import on_new_environment
from admin_token.revocation_queue import (
    GITHUB_SECRET_SCANNING_AUTHOR,
    MAX_LOCATION_CHARS,
    SECRET_DETECTION_AUTHOR,
    RevocationMessage,
    send_all,
)
from admin_token.service import carry_out, find_by_digest
from admin_token.storage import TokenStore
from admin_token.storage.dynamodb import default_store
from admin_token.token_types import BY_NAME, match_token_type
from admin_token.token_types.base import RequestContext

SECRET_ARN_VARIABLE: Final = "REVOCATION_TOKEN_SECRET_ARN"
SECRET_MAX_AGE_SECONDS: Final = 300
RULE_PREFIX: Final = "gitleaks_rule_id_"
PIPELINE_TRIGGER: Final = "pipeline_trigger_token"

# GitLab's identifier of a finding's type -> ours. Only types a revoke changes: CI/CD job tokens
# are refused by every revoke, and sessions are not something secret detection finds.
RULE_TYPES: Final[dict[str, str]] = {
    f"{RULE_PREFIX}{rule}": token_type
    for rule, token_type in (
        ("gitlab_personal_access_token", "personal_access_token"),
        ("gitlab_personal_access_token_routable", "personal_access_token"),
        ("gitlab_deploy_token", "deploy_token"),
        ("gitlab_feed_token_v2", "feed_token"),
        ("gitlab_oauth_app_secret", "oauth_application_secret"),
        ("gitlab_kubernetes_agent_token", "cluster_agent_token"),
        ("gitlab_runner_auth_token", "runner_authentication_token"),
        ("gitlab_runner_auth_token_routable", "runner_authentication_token"),
        ("gitlab_pipeline_trigger_token", PIPELINE_TRIGGER),
        ("gitlab_incoming_email_token", "incoming_email_token"),
        ("gitlab_feature_flag_client_token", "feature_flags_client_token"),
        ("gitlab_scim_oauth_token", "scim_access_token"),
    )
}

# Our types a revoke through this API changes: the only ones queued, and the worker's known types.
REVOCABLE_TYPES: Final = frozenset(RULE_TYPES.values())

# Who the worker's revokes are by. GitLab's security bot is an internal user; we hold no user for
# it, so it takes the id GitLab gives authors with no user record (Gitlab::Audit::NullAuthor's -1).
SECURITY_BOT: Final = User.from_attributes(
    {
        "id": -1,
        "username": "GitLab-Security-Bot",
        "name": "GitLab Security Bot",
        "state": "active",
        "bot": True,
        "created_at": "2020-01-01T00:00:00Z",
    }
)
SECURITY_BOT_CONTEXT: Final[CallerContext] = {"user_id": SECURITY_BOT.id, "username": SECURITY_BOT.username}
AUTHOR_CLASS: Final = "SecretDetection"

# Who the worker's revokes of GitHub's secret scanning alerts are by: no GitLab user either, so the
# next id down from the security bot's.
GITHUB_SECRET_SCANNING: Final = User.from_attributes(
    {
        "id": -2,
        "username": "GitHub-Secret-Scanning",
        "name": "GitHub Secret Scanning",
        "state": "active",
        "bot": True,
        "created_at": "2020-01-01T00:00:00Z",
    }
)
GITHUB_SECRET_SCANNING_CONTEXT: Final[CallerContext] = {
    "user_id": GITHUB_SECRET_SCANNING.id,
    "username": GITHUB_SECRET_SCANNING.username,
}
GITHUB_AUTHOR_CLASS: Final = "GitHubSecretScanning"


class QueueAuthor(Frozen, kw_only=False):
    """Who a queued message's revokes are by, and what holds them."""

    user: User
    author_class: str  # the audit record's author class
    caller: CallerContext  # what flags are evaluated with
    kill_switch: str  # the flag that, off, holds its queued revokes

    def of(self, message_id: str, location: str | None) -> Author:
        """The author of revoking one queued message's token, found at `location`."""
        return Author(self.user, message_id, None, author_class=self.author_class, location=location)


# A queued message's author (revocation_queue's names) -> who its revokes are by.
QUEUE_AUTHORS: Final[dict[str, QueueAuthor]] = {
    SECRET_DETECTION_AUTHOR: QueueAuthor(SECURITY_BOT, AUTHOR_CLASS, SECURITY_BOT_CONTEXT, AUTO_REVOKE_FLAG),
    GITHUB_SECRET_SCANNING_AUTHOR: QueueAuthor(
        GITHUB_SECRET_SCANNING, GITHUB_AUTHOR_CLASS, GITHUB_SECRET_SCANNING_CONTEXT, GITHUB_AUTO_REVOKE_FLAG
    ),
}


# -- who may call ------------------------------------------------------------------------------


@cache
def _secrets() -> Any:
    # Built on first use: importing the module (every IntakeFunction cold start) makes no client.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from botocore.config import Config

    return SecretsProvider(
        boto_config=Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2})
    )


def reset_secret_cache() -> None:
    """Forget the provider and its cached value (tests; a new execution environment does this)."""
    _secrets.cache_clear()


# A restored or forked copy reads the secret through a provider (and connection) of its own.
on_new_environment(reset_secret_cache)


def _pre_shared_digest() -> bytes:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    name = os.environ.get(SECRET_ARN_VARIABLE)
    try:
        if not name:
            raise GetParameterError("no secret configured")
        value = _secrets().get(name, max_age=SECRET_MAX_AGE_SECONDS)
    except GetParameterError as error:
        logger.error("Pre-shared token unavailable", extra={"error_type": type(error).__name__})
        raise ConfigurationUnavailable from error
    if not isinstance(value, str) or not value:
        raise ConfigurationUnavailable
    return hashlib.sha256(value.encode("utf-8")).digest()


def check_pre_shared_token(credential: str | None) -> None:
    """401 unless `credential` is the pre-shared token; compared as digests, in constant time."""
    expected = _pre_shared_digest()
    given = hashlib.sha256((credential or "").encode("utf-8", "surrogatepass")).digest()
    if not hmac.compare_digest(given, expected) or not credential:
        metrics.add_metric(name="RevocationCallerRejected", unit=MetricUnit.Count, value=1)
        raise Unauthenticated


# -- the two routes ----------------------------------------------------------------------------


def revocable_token_types(configuration: Configuration) -> list[str]:
    """What GET /v1/revocable_token_types lists (docs/contract.md).

    Pipeline trigger tokens only while a revoke of one changes something.
    """
    expire_triggers = configuration.expire_pipeline_triggers(SECURITY_BOT_CONTEXT)
    return [rule for rule, token_type in RULE_TYPES.items() if token_type != PIPELINE_TRIGGER or expire_triggers]


def list_types(credential: str | None) -> dict[str, list[str]]:
    check_pre_shared_token(credential)
    types = revocable_token_types(load_configuration())
    metrics.add_metric(name="RevocableTypesListed", unit=MetricUnit.Count, value=1)  # GitLab's integration is live
    return {"types": types}


def accept_findings(request: FindingsRequest) -> int:
    """Queue every finding, or none: checks in the contract's order. How many messages were queued.

    The token's own prefix decides its type (the `type` sent is only a hint). A token no type
    matches cannot be one of ours, so nothing is queued for it: it is counted, not refused, so it
    cannot hold back the real tokens found alongside it. Nor is one whose type this API does not
    revoke (a CI/CD job token, a session, whatever `type` it was sent as): the worker refuses such a
    message, so queued it would only end in the dead-letter queue and raise its alarm.
    """
    check_pre_shared_token(request.credential)
    request.check_size()
    configuration = load_configuration()
    if not configuration.flag(AUTO_REVOKE_FLAG, SECURITY_BOT_CONTEXT):
        raise FeatureDisabled(AUTO_REVOKE_FLAG)
    # Only what GET /v1/revocable_token_types lists now: a type it does not list is refused, not queued.
    findings = request.check_findings(revocable_token_types(configuration))
    messages: dict[str, RevocationMessage] = {}
    unmatched = not_revocable = 0
    for finding in findings:
        token_type = match_token_type(finding.token, configuration)
        if token_type is None:
            unmatched += 1
            continue
        if token_type.name not in REVOCABLE_TYPES:
            not_revocable += 1
            continue
        digest = token_digest(finding.token)
        # One message per token per request: the first finding's location is the one kept.
        location = finding.location[:MAX_LOCATION_CHARS] if finding.location else None
        messages.setdefault(digest, RevocationMessage(digest, token_type.name, location))
    if unmatched:
        metrics.add_metric(name="FindingUnmatched", unit=MetricUnit.Count, value=unmatched)
    if not_revocable:
        metrics.add_metric(name="FindingNotRevocable", unit=MetricUnit.Count, value=not_revocable)
    send_all(list(messages.values()))
    logger.info(
        "Findings queued",
        extra={"findings": len(findings), "queued": len(messages), "unmatched": unmatched,
               "not_revocable": not_revocable},
    )  # fmt: skip
    return len(messages)


# -- the worker --------------------------------------------------------------------------------


def revoke_queued(message: RevocationMessage, message_id: str, store: TokenStore | None = None) -> str:
    """Revoke one queued finding as its author (GitLab Security Bot, GitHub Secret Scanning); the
    outcome (`deleted`, `not_found`...).

    A refusal or a token no longer found is an outcome: the message is done. A storage fault
    raises, and the message alone is retried. So does the kill switch: with the author's flag
    (`secret_detection_auto_revoke`, `github_secret_scanning_auto_revoke`) off, or the
    configuration unreadable, nothing is revoked and `FeatureDisabled` (or
    `ConfigurationUnavailable`) keeps the message for later.
    """
    store = store or default_store()
    token_type = BY_NAME[message.token_type]
    author = QUEUE_AUTHORS[message.author]
    configuration = load_configuration()
    # Checked before every revoke, not only when the finding was queued: an operator turning the
    # flag off in a flood stops what is already queued too. Each author's own flag: GitHub's
    # alerts stop with github_secret_scanning_auto_revoke, secret detection's with its own.
    if not configuration.flag(author.kill_switch, author.caller):
        metrics.add_metric(name=metric_name("SecretDetection", HELD), unit=MetricUnit.Count, value=1)
        logger.warning("Auto-revoke is off: queued finding kept", extra={"token_type": token_type.name,
                                                                         "author": message.author})  # fmt: skip
        raise FeatureDisabled(author.kill_switch)
    context = RequestContext.at(datetime.now(UTC), configuration, author.caller)
    try:
        found, subject = find_by_digest(message.digest, token_type, store, context)
        by = author.of(message_id, message.location)
        outcome = carry_out(token_type, found, subject, context, store, by=by, dry_run=False)
        result: str = outcome.action
    except TokenNotFound as not_found:
        result = ALREADY_REVOKED if not_found.tombstone is not None else NOT_FOUND
    except RevokeRefused:
        result = REFUSED
    metrics.add_metric(name=metric_name("SecretDetection", result), unit=MetricUnit.Count, value=1)
    logger.info("Queued finding handled", extra={"token_type": token_type.name, "outcome": result})
    return result
