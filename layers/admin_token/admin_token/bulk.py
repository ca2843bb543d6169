"""Bulk revoke: up to 1,000 tokens in one request, each answered as its own single DELETE would be.

The caller is checked once (two reads). Then every distinct token's digest is read in batches of
100, then every record those point to, likewise. Each token's revoke is then planned by its type
(`service.carry_out`, the same code as a single revoke and its dry run) and applied in its own
transaction with its own audit record, several at a time. One element's refusal or failure
never touches another's.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admin_token import budget
from admin_token.auth import Caller, authenticate, authorize
from admin_token.config import REVOKE_FLAG, Configuration, load_configuration
from admin_token.digests import token_digest, token_hint
from admin_token.errors import (
    ConcurrentModification,
    FeatureDisabled,
    RevokeRefused,
    StorageUnavailable,
    TokenNotFound,
)
from admin_token.models.requests import BulkRevokeRequest
from admin_token.models.results import RevokeOutcome
from admin_token.observability import logger, metrics
from admin_token.service import Identified, _audit_record, _tombstone_for, _typed, carry_out, remembered
from admin_token.storage import RecordKey, StoredToken, TokenStore
from admin_token.storage.dynamodb import default_store
from admin_token.token_types import match_token_type
from admin_token.token_types.base import Found, RequestContext, TokenType

OUTCOMES = (
    "revoked",
    "reset",
    "deleted",
    "expired",
    "already_revoked",
    "not_found",
    "unsupported",
    "refused",
    "invalid",
    "duplicate",
    "failed",
)
# Transactions in flight at once: enough to hide DynamoDB's latency, few enough that one bulk
# request does not throttle the tables for everyone else.
PARALLEL_REVOKES = 16
# An element is started only while this much of the Lambda's time is left; later ones fail
# (retryable) rather than let the whole answer be lost to the timeout.
SECONDS_PER_ELEMENT = 3.0


@dataclass
class Element:
    """One entry of `tokens`, from parsing to its result. The token itself is never in the result."""

    index: int
    token: str | None = None  # None: not a string
    hint: str | None = None
    token_type: TokenType[Any] | None = None
    digest: str | None = None
    duplicate_of: int | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def answer(self, outcome: str, status: int | None, **extra: Any) -> None:
        self.result = {
            "index": self.index,
            "token_hint": self.hint,
            "token_type": self.token_type.name if self.token_type else None,
            "outcome": outcome,
            **({"status": status} if status is not None else {}),
            **extra,
        }


def bulk_revoke(request: BulkRevokeRequest, store: TokenStore | None = None) -> dict[str, Any]:
    store = store or default_store()
    configuration = load_configuration()
    now = datetime.now(UTC)
    caller = _authorised_caller(request, configuration, store, now)
    request.check_body()
    if not configuration.revoke_enabled(caller.context):
        raise FeatureDisabled(REVOKE_FLAG)
    tokens = request.check_tokens()
    dry_run = request.check_dry_run()

    elements = _elements(tokens, configuration)
    distinct = [element for element in elements if element.digest and element.duplicate_of is None]
    stored = store.get_tokens([element.digest for element in distinct if element.digest])
    typed = {element.index: _typed(stored.get(element.digest or ""), element.token_type) for element in distinct}
    references = {
        key
        for element in distinct
        if (token := typed[element.index]) is not None and element.token_type is not None
        for key in element.token_type.references(token)
    }
    records = store.get_records(sorted(references, key=lambda key: (key.kind, key.id))) if references else {}
    context = RequestContext(
        now=now,
        gitlab_url=os.environ.get("GITLAB_URL", "https://gitlab.example.com"),
        configuration=configuration,
        caller=caller.context,
    )

    work: list[tuple[Element, StoredToken]] = []
    for element in distinct:
        token = typed[element.index]
        if token is None:
            _answer_unknown(element, stored, store, dry_run=dry_run)
        else:
            work.append((element, token))
    with ThreadPoolExecutor(max_workers=PARALLEL_REVOKES) as pool:
        # Each task runs in a copy of this context: the request's time budget lives in a ContextVar.
        revoke = partial(
            _revoke_one, records=records, context=context, caller=caller, store=store, request=request, dry_run=dry_run
        )
        futures = [pool.submit(contextvars.copy_context().run, revoke, element, token) for element, token in work]
        for future in futures:
            future.result()
    for element in elements:
        if element.duplicate_of is not None:
            first = elements[element.duplicate_of]
            element.token_type = first.token_type
            element.answer("duplicate", None, duplicate_of=element.duplicate_of)
    results = [element.result for element in elements]
    summary = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        summary[result["outcome"]] += 1
    for outcome, count in summary.items():
        if count:
            metrics.add_metric(name=f"Bulk_{outcome}", unit=MetricUnit.Count, value=count)
    logger.info(
        "Bulk revoke", extra={"caller_id": caller.user.id, "dry_run": dry_run, "tokens": len(elements), **summary}
    )
    return {"dry_run": dry_run, "summary": summary, "results": results}


def _authorised_caller(
    request: BulkRevokeRequest, configuration: Configuration, store: TokenStore, now: datetime
) -> Caller:
    """§2 of the contract, exactly as a single call checks it: two reads, nothing about the list."""
    digest = token_digest(request.credential) if request.credential else None
    credential = store.get_tokens([digest]).get(digest) if digest else None
    token = authenticate(credential, now.date())
    records = store.get_records([RecordKey("user", token.user_id)])
    return authorize(token, records, configuration)


def _elements(tokens: list[Any], configuration: Configuration) -> list[Element]:
    """Each element typed and digested; not-strings, unknown prefixes and repeats answered now."""
    elements: list[Element] = []
    first_index: dict[str, int] = {}
    for index, value in enumerate(tokens):
        element = Element(index)
        elements.append(element)
        if not isinstance(value, str):
            element.answer("invalid", 400)
            continue
        element.token = value
        element.token_type = match_token_type(value, configuration)
        prefix = element.token_type.matched_prefix(value, configuration) if element.token_type else None
        element.hint = token_hint(value, prefix)
        if value in first_index:
            element.duplicate_of = first_index[value]
            continue
        first_index[value] = index
        if element.token_type is None:
            element.answer("unsupported", 422)
            continue
        element.digest = token_digest(value)
    return elements


def _answer_unknown(element: Element, stored: Mapping[str, StoredToken], store: TokenStore, *, dry_run: bool) -> None:
    """An element with no live token: remembered by a tombstone of its type, or not found."""
    item = stored.get(element.digest or "")
    tombstone = _tombstone_for(item, element.token_type, store) if element.token_type is not None else None
    if tombstone is not None:
        # What the single call answers: 404 with the tombstone's headers, or a dry run's 200.
        _answer_outcome(element, remembered(tombstone, dry_run=dry_run), status=200 if dry_run else 404)
    else:
        element.answer("not_found", 404)


def _revoke_one(
    element: Element,
    token: StoredToken,
    *,
    records: Mapping[RecordKey, Mapping[str, Any]],
    context: RequestContext,
    caller: Caller,
    store: TokenStore,
    request: BulkRevokeRequest,
    dry_run: bool,
) -> None:
    token_type = element.token_type
    assert token_type is not None  # only typed elements are sent here
    if not budget.allows(SECONDS_PER_ELEMENT):
        element.answer("failed", 503, retryable=True, message="Time budget exhausted before this token")
        return
    found = Found(token, records)
    subject = token_type.resolve(found, context)
    if subject is None:
        element.answer("not_found", 404)
        return
    identified = Identified(caller, context, token_type, found, subject)
    try:
        outcome = carry_out(
            token_type,
            found,
            subject,
            context,
            store,
            audit=lambda plan: _audit_record(identified, plan, request),
            dry_run=dry_run,
        )
    except RevokeRefused as refused:
        element.answer("refused", 400, message=refused.reason)
    except TokenNotFound as not_found:
        # Lost a race to a revoke that made the token unknown.
        if not_found.tombstone is not None:
            _answer_outcome(element, remembered(not_found.tombstone, dry_run=dry_run), status=404)
        else:
            element.answer("not_found", 404)
    except (StorageUnavailable, ConcurrentModification):
        element.answer("failed", 503, retryable=True, message="Storage temporarily unavailable, retry later")
    else:
        status = 200 if dry_run else 204
        _answer_outcome(element, outcome, status=status)


def _answer_outcome(element: Element, outcome: RevokeOutcome, *, status: int) -> None:
    extra: dict[str, Any] = {"target": outcome.target.to_json() if outcome.target else None}
    if outcome.cascade:
        extra["cascade"] = [part.to_json() for part in outcome.cascade]
    if outcome.audit_event_id is not None:
        extra["audit_event_id"] = outcome.audit_event_id
    if outcome.revoked_at is not None:
        extra["revoked_at"] = outcome.revoked_at
    element.answer(outcome.action, status, **extra)
