"""The two things the API does: describe a token (lookup) and revoke it.

Both read in at most two round trips, whatever the type: one batched GetItem of the caller's
and the target's digests, then one of the records those point to (the caller's user, the
target's owner or runner). Checks then run in the order docs/contract.md gives ("Order of
checks"). A revoke adds exactly one transaction, which also writes the audit record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.audit import Author
from admin_token.auth import Caller, identify_caller
from admin_token.config import REVOKE_FLAG, load_configuration
from admin_token.digests import token_digest
from admin_token.errors import (
    ConcurrentModification,
    FeatureDisabled,
    RevokeRefused,
    TokenNotFound,
    UnsupportedTokenType,
)
from admin_token.models.frozen import Frozen, replace
from admin_token.models.requests import TokenRequest
from admin_token.models.results import RevokeOutcome
from admin_token.observability import logger, metrics
from admin_token.outcomes import ALREADY_REVOKED
from admin_token.storage import (
    AuditIdTaken,
    AuditRecord,
    RecordKey,
    StoredToken,
    TokenChanged,
    TokenStore,
    Tombstone,
)
from admin_token.storage.base import FORGETTING_CHANGES
from admin_token.storage.dynamodb import default_store
from admin_token.token_types import match_token_type
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType

# A revoke that loses a race re-plans against the winner's state; more than this is a livelock.
MAX_REVOKE_ATTEMPTS = 3
# Ids start at 1: this key reads as absent, and keeps round 2 the same size (see _target_slot).
ABSENT_RECORD = RecordKey("user", 0)


class Identified(Frozen, kw_only=False):
    caller: Caller
    context: RequestContext
    token_type: TokenType[Any]
    found: Found
    subject: Any


def lookup_token(request: TokenRequest, store: TokenStore | None = None) -> tuple[dict[str, Any], str]:
    """The entity of the token's type, and the type's name."""
    identified = _identify(request, revoking=False, store=store or default_store())
    metrics.add_metric(name="TokenLookedUp", unit=MetricUnit.Count, value=1)
    logger.info("Token identified", extra=_log_fields(identified))
    entity = identified.token_type.describe(identified.subject, identified.context).to_json()
    return entity, identified.token_type.name


def revoke_token(request: TokenRequest, store: TokenStore | None = None) -> RevokeOutcome:
    """Revoke the token with its type's semantics, or, for a dry run, say what that would do."""
    store = store or default_store()
    try:
        identified = _identify(request, revoking=True, store=store)
    except TokenNotFound as not_found:
        # _identify has checked dry_run by now. A dry run of a remembered revoke says what it did.
        if not_found.tombstone is not None and request.check_dry_run():
            metrics.add_metric(name="RevokeDryRun", unit=MetricUnit.Count, value=1)
            return remembered(not_found.tombstone, dry_run=True)
        raise
    outcome = carry_out(
        identified.token_type,
        identified.found,
        identified.subject,
        identified.context,
        store,
        by=Author(identified.caller.user, request.request_id, request.source_ip),
        dry_run=request.check_dry_run(),
    )
    logger.info(
        "Token revoked" if outcome.changed and not outcome.dry_run else "Revoke decided, nothing written",
        extra={**_log_fields(identified), "action": outcome.action, "dry_run": outcome.dry_run},
    )
    return outcome


def carry_out(
    token_type: TokenType[Any],
    found: Found,
    subject: Any,
    context: RequestContext,
    store: TokenStore,
    *,
    by: Author,
    dry_run: bool,
) -> RevokeOutcome:
    """Plan the revoke and, unless it is a dry run or already in effect, apply it in one transaction.

    Every revoke (single, bulk, the worker's) comes through here: the transaction always carries
    the audit record `by` names the author of.

    The plan is the type's one decision: a dry run describes exactly what a real revoke would
    apply. A revoke that loses a race plans again on the state the winner left.
    """
    token = found.token
    for _ in range(MAX_REVOKE_ATTEMPTS):
        try:
            plan = token_type.revoke(subject, token, context)
        except RevokeRefused as refused:
            refused.token_type = token_type.name
            raise
        if dry_run or plan.change is None:
            metric = "RevokeDryRun" if dry_run else "RevokeAlreadyInEffect"
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
            return RevokeOutcome(token_type.name, plan.action, plan.target, plan.cascade, dry_run=dry_run)
        record = by.record(token_type.name, plan)
        try:
            store.apply(plan.change, record, _tombstone(token_type, plan, record, context))
        except TokenChanged as changed:
            current = changed.current
            tombstone = store.tombstone(current) if current is not None else None
            if current is None or tombstone is not None:
                raise TokenNotFound(token_type.name, tombstone) from changed
            token = current
            context = replace(context, now=datetime.now(UTC))  # decide on the winner's state, as of now
            subject = token_type.resolve(Found(token, found.records), context)
            if subject is None:
                raise TokenNotFound(token_type.name) from changed
            continue
        except AuditIdTaken:
            continue  # another process minted the same event id this millisecond: nothing written, mint again
        metrics.add_metric(name="TokenRevoked", unit=MetricUnit.Count, value=1)
        return RevokeOutcome(token_type.name, plan.action, plan.target, plan.cascade, record.audit_id)
    raise ConcurrentModification


def remembered(tombstone: Tombstone, *, dry_run: bool) -> RevokeOutcome:
    """What an earlier revoke that made this token unknown did."""
    return RevokeOutcome(
        token_type=tombstone.token_type,
        action=ALREADY_REVOKED,
        target=Target(*tombstone.target) if tombstone.target else None,
        cascade=tuple(Target(*part) for part in tombstone.cascade),
        audit_event_id=tombstone.audit_event_id,
        revoked_at=tombstone.revoked_at,
        dry_run=dry_run,
    )


def _tombstone(
    token_type: TokenType[Any], plan: Revocation, record: AuditRecord, context: RequestContext
) -> Tombstone | None:
    """For a change that makes the token unknown: what to keep under its old digest."""
    if not isinstance(plan.change, FORGETTING_CHANGES):
        return None
    return Tombstone(
        token_type=token_type.name,
        action=plan.action,
        revoked_at=record.created_at,  # the audit event's own time: the two always agree
        audit_event_id=record.audit_id,
        target=(plan.target.type, plan.target.id),
        cascade=tuple((part.type, part.id) for part in plan.cascade),
    )


def _identify(request: TokenRequest, *, revoking: bool, store: TokenStore) -> Identified:
    configuration = load_configuration()
    now = datetime.now(UTC)
    candidate = request.candidate
    token_type = match_token_type(candidate, configuration) if candidate is not None else None
    target_digest = token_digest(candidate) if candidate is not None and token_type else None

    # The target is read alongside the caller: its digest in round trip 1 (not decoded until the
    # caller is accepted: the store decodes on first read), and one slot for what it points to in
    # round trip 2, found the same way whether it exists or not.
    reads = identify_caller(
        request.credential,
        store,
        configuration,
        now.date(),
        target_digest=target_digest,
        target_references=partial(_target_slot, token_type=token_type) if token_type is not None else None,
    )
    caller, tokens, records = reads.caller, reads.tokens, reads.records
    stored = tokens.get(target_digest) if target_digest else None
    request.check_body()
    if revoking and not configuration.revoke_enabled(caller.context):
        raise FeatureDisabled(REVOKE_FLAG)
    request.check_token()
    if revoking:
        request.check_dry_run()
    if token_type is None:
        raise UnsupportedTokenType
    target = of_type(stored, token_type)
    if target is None:
        raise TokenNotFound(token_type.name, tombstone_for(stored, token_type, store))
    context = RequestContext.at(now, configuration, caller.context)
    found = Found(target, records)
    subject = token_type.resolve(found, context)
    if subject is None:
        raise TokenNotFound(token_type.name)
    return Identified(caller, context, token_type, found, subject)


def find_by_digest(
    digest: str, token_type: TokenType[Any], store: TokenStore, context: RequestContext
) -> tuple[Found, Any]:
    """The token under `digest` and its subject, as `_identify` finds them from a plaintext.

    For a caller that holds only the digest (the revocation worker): two reads, the token then
    what it points to. `TokenNotFound` (with the tombstone an earlier revoke left, if any) otherwise.
    """
    stored = store.get_tokens([digest]).get(digest)
    target = of_type(stored, token_type)
    if target is None:
        raise TokenNotFound(token_type.name, tombstone_for(stored, token_type, store))
    references = token_type.references(target)
    found = Found(target, store.get_records(references) if references else {})
    subject = token_type.resolve(found, context)
    if subject is None:
        raise TokenNotFound(token_type.name)
    return found, subject


def tombstone_for(stored: StoredToken | None, token_type: TokenType[Any], store: TokenStore) -> Tombstone | None:
    """The tombstone under this digest, if an earlier revoke of this type left one."""
    tombstone = store.tombstone(stored) if stored is not None else None
    return tombstone if tombstone is not None and tombstone.token_type == token_type.name else None


def _target_slot(target: StoredToken | None, taken: list[RecordKey], *, token_type: TokenType[Any]) -> list[RecordKey]:
    """What the target points to, or a key that never exists (id 0) when it points to nothing new.

    A missing target is stood in for by a decoy of its type pointing at id 0, so both take the same
    steps and read the same number of keys from the same tables: a caller refused at
    authorisation cannot tell the two apart by the work done for it (tests/integration/
    test_refusal_cpu_time.py). Only the item DynamoDB finds, or not, differs.
    """
    typed = of_type(target, token_type)
    wanted = token_type.references(typed if typed is not None else _decoy(token_type))
    fresh = [key for key in wanted if key not in taken]
    return fresh or [ABSENT_RECORD]


# Every attribute a type's `references` reads, each naming id 0, which no record has.
_DECOY_REFERENCES = {"user_id": 0, "owner_id": 0, "runner_id": 0}


def _decoy(token_type: TokenType[Any]) -> StoredToken:
    return StoredToken(digest="", token_type=token_type.name, version=0, attributes=_DECOY_REFERENCES)


def of_type(token: StoredToken | None, token_type: TokenType[Any] | None) -> StoredToken | None:
    """A stored token counts only as the type its prefix says (a custom prefix cannot cross types)."""
    if token is None or token_type is None or token.token_type != token_type.name:
        return None
    return token


def _log_fields(identified: Identified) -> dict[str, Any]:
    # Ids only: never the token, never its digest.
    return {"token_type": identified.token_type.name, "caller_id": identified.caller.user.id}
