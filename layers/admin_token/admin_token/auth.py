"""Who may call: an active administrator, with a live personal access token scoped for the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from admin_token.config import CallerContext, Configuration
from admin_token.errors import Forbidden, Unauthenticated
from admin_token.models.records import PersonalAccessToken, User
from admin_token.storage import RecordKey, StoredToken
from admin_token.storage.items import user_from_item

CREDENTIAL_TYPE = "personal_access_token"
API_SCOPE = "api"
ADMIN_MODE_SCOPE = "admin_mode"


@dataclass(frozen=True)
class Caller:
    user: User
    token: PersonalAccessToken

    @property
    def context(self) -> CallerContext:
        return {"user_id": self.user.id, "username": self.user.username}


def caller_references(credential: StoredToken | None) -> list[RecordKey]:
    """The caller's user is fetched with the target's records, in the same round trip."""
    if credential is None or credential.token_type != CREDENTIAL_TYPE:
        return []
    return [RecordKey("user", int(credential.attributes["user_id"]))]


def authorize_caller(
    credential: StoredToken | None,
    records: Mapping[RecordKey, dict[str, Any]],
    configuration: Configuration,
    today: date,
) -> Caller:
    """Spec §2, in its order: 401 for any unusable credential, then 403 for any unfit caller."""
    if credential is None or credential.token_type != CREDENTIAL_TYPE:
        raise Unauthenticated
    token = PersonalAccessToken.model_validate(dict(credential.attributes))
    user_item = records.get(RecordKey("user", token.user_id))
    if not token.active(today) or user_item is None:
        raise Unauthenticated
    caller = Caller(user_from_item(user_item), token)
    if not caller.user.active or not caller.user.admin or API_SCOPE not in token.scopes:
        raise Forbidden
    if configuration.admin_mode(caller.context) and ADMIN_MODE_SCOPE not in token.scopes:
        raise Forbidden
    return caller
