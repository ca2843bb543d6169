"""Who may call: an active administrator, with a live personal access token scoped for the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from admin_token.config import CallerContext, Configuration
from admin_token.digests import token_digest
from admin_token.errors import Forbidden, Unauthenticated
from admin_token.models.frozen import Frozen
from admin_token.models.records import PersonalAccessToken, User
from admin_token.storage import RecordKey, StoredToken, TokenStore
from admin_token.storage.items import user_from_item

CREDENTIAL_TYPE = "personal_access_token"
API_SCOPE = "api"
READ_API_SCOPE = "read_api"
ADMIN_MODE_SCOPE = "admin_mode"
# Scopes that let a token call: the token API needs `api`; a read (the audit events API) takes
# `read_api` as well, as on GitLab.
WRITE_SCOPES = frozenset({API_SCOPE})
READ_SCOPES = frozenset({API_SCOPE, READ_API_SCOPE})


class Caller(Frozen, kw_only=False):
    user: User
    token: PersonalAccessToken

    @property
    def context(self) -> CallerContext:
        return {"user_id": self.user.id, "username": self.user.username}


def authenticate(credential: StoredToken | None, today: date) -> PersonalAccessToken:
    """The 401s the credential's own item decides: known, a personal access token, live.

    docs/contract.md, "Who may call".

    Decided before any further read, so a refused caller costs the same whatever it asked about.
    """
    if credential is None or credential.token_type != CREDENTIAL_TYPE:
        raise Unauthenticated
    token = PersonalAccessToken.from_attributes(credential.attributes)
    if not token.active(today):
        raise Unauthenticated
    return token


def authorize(
    token: PersonalAccessToken,
    records: Mapping[RecordKey, Mapping[str, Any]],
    configuration: Configuration,
    scopes: frozenset[str] = WRITE_SCOPES,
) -> Caller:
    """The rest of "Who may call" (docs/contract.md), in its order.

    The user must exist (401), be active, an admin, and scoped (403).

    The token needs one of `scopes`.
    """
    user_item = records.get(RecordKey("user", token.user_id))
    if user_item is None:
        raise Unauthenticated
    caller = Caller(user_from_item(user_item), token)
    if not caller.user.active or not caller.user.admin or scopes.isdisjoint(token.scopes):
        raise Forbidden
    if configuration.admin_mode(caller.context) and ADMIN_MODE_SCOPE not in token.scopes:
        raise Forbidden
    return caller


class CallerReads(Frozen, kw_only=False):
    """The accepted caller, and what the two round trips that accepted it read besides."""

    caller: Caller
    tokens: Mapping[str, StoredToken]
    records: Mapping[RecordKey, Mapping[str, Any]]


def identify_caller(
    credential: str | None,
    store: TokenStore,
    configuration: Configuration,
    today: date,
    *,
    scopes: frozenset[str] = WRITE_SCOPES,
    target_digest: str | None = None,
    target_references: Callable[[StoredToken | None, list[RecordKey]], list[RecordKey]] | None = None,
) -> CallerReads:
    """The caller of any route a personal access token authenticates: 401 / 403, or the caller.

    Two round trips: the credential's digest (with `target_digest`, read alongside it), then the
    caller's user (with what `target_references` says the target points to). The target's item is
    only looked at once the credential is accepted, so a refused caller's work cannot depend on it.
    """
    caller_digest = token_digest(credential) if credential else None
    digests = [digest for digest in (caller_digest, target_digest) if digest]
    tokens = store.get_tokens(digests) if caller_digest else {}
    token = authenticate(tokens.get(caller_digest) if caller_digest else None, today)
    references = [RecordKey("user", token.user_id)]
    if target_digest and target_references is not None:
        references += target_references(tokens.get(target_digest), references)
    records = store.get_records(references)
    return CallerReads(authorize(token, records, configuration, scopes), tokens, records)
