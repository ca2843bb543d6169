"""The `Token revoked` detail, decided once, and the Pipe's template yields exactly it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from admin_token.audit import ENTITY_TYPES, audit_record
from admin_token.events import EVENT_DETAIL_ATTRIBUTE, revoke_event_detail
from admin_token.models.records import User
from admin_token.storage.dynamodb import _to_dynamodb
from admin_token.storage.items import audit_item, audit_record_from_item
from admin_token_local.stream_reader import matches, render_input_template, stream_pipes
from tests.conftest import TEMPLATE

ROOT = User.from_attributes(
    {"id": 1, "username": "root", "name": "Administrator", "state": "active", "created_at": "2024-01-01"}
)
# Per revocable type: the target as our API names it, and the owner user, if the token has one.
CASES: dict[str, tuple[tuple[str, int], int | None]] = {
    "personal_access_token": (("personal_access_token", 6), 2),
    "deploy_token": (("deploy_token", 1), None),
    "feed_token": (("user", 2), 2),
    "incoming_email_token": (("user", 2), 2),
    "gitlab_session": (("session", 2), 2),
    "oauth_application_secret": (("oauth_application", 1), None),
    "cluster_agent_token": (("cluster_agent_token", 1), None),
    "runner_authentication_token": (("runner", 7), None),
    "pipeline_trigger_token": (("pipeline_trigger", 1), None),
    "feature_flags_client_token": (("feature_flags_client", 1), None),
    "scim_access_token": (("group_scim_auth_access_token", 1), None),
}
ACTIONS = {"personal_access_token": "revoked", "deploy_token": "revoked", "cluster_agent_token": "revoked",
           "pipeline_trigger_token": "expired", "runner_authentication_token": "deleted",
           "gitlab_session": "deleted"}  # fmt: skip
AUTHORS = {
    "User": {},
    "SecretDetection": {
        "author_class": "SecretDetection",
        "location": "https://gitlab.example.com/p/-/blob/a1/.env#L3",
    },
}
[PIPE] = stream_pipes(TEMPLATE)


def record_for(token_type: str, author: str) -> Any:
    target, owner = CASES[token_type]
    record = audit_record(
        caller_user=ROOT,
        token_type=token_type,
        action=ACTIONS.get(token_type, "reset"),
        entity_id=target[1],
        target_details="a name",
        request_id="req-1",
        ip_address="192.0.2.1",
        target=target,
        owner_user_id=owner,
    )
    return replace(record, **AUTHORS[author])


def stream_insert(record: Any) -> dict[str, Any]:
    """The stream record DynamoDB writes for the audit put: the item exactly as the store writes it."""
    image = _to_dynamodb(audit_item(record))
    return {"eventName": "INSERT", "eventSource": "aws:dynamodb", "dynamodb": {"NewImage": image}}


def test_every_revocable_type_has_a_case() -> None:
    assert set(CASES) == set(ENTITY_TYPES)


@pytest.mark.parametrize("author", list(AUTHORS))
@pytest.mark.parametrize("token_type", list(CASES))
def test_the_detail_names_type_action_target_owner_author_event_and_location(token_type: str, author: str) -> None:
    record = record_for(token_type, author)
    (target_type, target_id), owner = CASES[token_type]

    detail = revoke_event_detail(record)

    assert detail == {
        "token_type": token_type,
        "action": record.action,
        "target": {"type": target_type, "id": target_id},
        "owner_user_id": owner,
        "author": {"id": 1, "name": "Administrator", "class": author},
        "audit_event_id": record.audit_id,
        "location": AUTHORS[author].get("location"),
    }


@pytest.mark.parametrize("author", list(AUTHORS))
@pytest.mark.parametrize("token_type", list(CASES))
def test_the_pipes_input_template_renders_the_same_detail_from_the_stream_record(token_type: str, author: str) -> None:
    record = record_for(token_type, author)

    rendered = render_input_template(PIPE.input_template, stream_insert(record))

    assert rendered == revoke_event_detail(record)
    # And the item reads back as the record it was written from (nothing lost on the way).
    assert audit_record_from_item(audit_item(record)) == record


def test_the_template_evaluator_quotes_strings_and_inserts_numbers_and_objects() -> None:
    # So the equivalence above is the template's doing, not an evaluator that passes anything.
    payload = {"dynamodb": {"NewImage": {"a": {"S": 'say "hi"'}, "n": {"N": "7"}, "m": {"M": {"x": {"S": "y"}}}}}}
    template = '{"s": "<$.dynamodb.NewImage.a.S>", "n": <$.dynamodb.NewImage.n.N>, "m": <$.dynamodb.NewImage.m>}'
    assert render_input_template(template, payload) == {"s": 'say "hi"', "n": 7, "m": {"M": {"x": {"S": "y"}}}}
    with pytest.raises(KeyError):
        render_input_template("<$.dynamodb.NewImage.missing.S>", payload)


def test_the_pipe_passes_inserts_only_and_sends_the_event_the_contract_names() -> None:
    assert (PIPE.source, PIPE.detail_type, PIPE.table_logical_id) == ("admin-token-api", "Token revoked", "AuditTable")
    assert PIPE.input_template is not None
    assert EVENT_DETAIL_ATTRIBUTE in PIPE.input_template
    for event_name, passes in (("INSERT", True), ("MODIFY", False), ("REMOVE", False)):
        assert any(matches(pattern, {"eventName": event_name}) for pattern in PIPE.patterns) is passes
