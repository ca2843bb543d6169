"""The seed file (docs/local-run.md): each section reads its entries as the layer's records do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from admin_token.digests import token_digest
from admin_token_local.seed import DEMO_SEED_PATH, SECTIONS, SeedError, parse_seed, seed_items

DEMO = json.loads(DEMO_SEED_PATH.read_text())
TRIGGER = DEMO["pipeline_triggers"][0]
USER = DEMO["users"][1]
TOKENLESS_TRIGGER = {key: value for key, value in TRIGGER.items() if key != "token"}
NAMELESS_USER = {key: value for key, value in USER.items() if key != "username"}


def test_the_demo_seed_fills_every_section() -> None:
    seed = parse_seed(DEMO)
    assert {name for name in SECTIONS if seed.entries(name)} == set(SECTIONS)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"surprise": []}, "unknown key 'surprise' at surprise"),
        ({"users": [{**USER, "nickname": "al"}]}, "unknown key 'nickname' at users.0.nickname"),
        # What the service derives from a token is not the seed's to say.
        ({"pipeline_triggers": [{**TRIGGER, "token_hint": "glptt-zzzz"}]}, "unknown key 'token_hint'"),
        ({"users": [{**USER, "feed_token_digest": "0" * 64}]}, "unknown key 'feed_token_digest'"),
        ({"pipeline_triggers": [TOKENLESS_TRIGGER]}, "pipeline_triggers.0.token: is missing"),
        ({"pipeline_triggers": [{**TRIGGER, "token": 7}]}, "pipeline_triggers.0.token: must be a string"),
        ({"users": [NAMELESS_USER]}, "users.0.username: is missing"),
        ({"users": [{**USER, "admin": "yes"}]}, "users.0.admin: has the wrong type"),
        ({"users": {"id": 1}}, "users: must be a list"),
        ({"users": ["root"]}, "users.0: must be an object"),
        ([], "a seed is a JSON object"),
    ],
)  # fmt: skip
def test_a_seed_that_does_not_fit_is_refused_naming_where(document: Any, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        parse_seed(document, source="seed.json")


def test_a_refusal_never_repeats_the_value() -> None:
    with pytest.raises(SeedError) as refused:
        parse_seed({"users": [{**USER, "created_at": "glpat-pastedByMistake123"}]})
    assert str(refused.value) == "seed: users.0.created_at: has the wrong type"


def test_derived_fields_are_the_services_own() -> None:
    seed = parse_seed({"users": [USER], "pipeline_triggers": [TRIGGER]})
    [trigger] = seed.entries("pipeline_triggers")
    assert trigger.record.token_hint == f"glptt-…{TRIGGER['token'][-4:]}"
    assert trigger.record.updated_at == trigger.record.created_at
    [user] = seed_items(seed)["users"]
    assert user["feed_token_digest"] == token_digest(USER["feed_token"])
    stored = json.dumps(seed_items(seed))
    assert USER["feed_token"] not in stored
    assert TRIGGER["token"] not in stored


def test_a_user_needs_no_tokens_and_is_active_unless_told() -> None:
    minimal = {key: USER[key] for key in ("id", "username", "name", "created_at")}
    [user] = parse_seed({"users": [minimal]}).entries("users")
    assert user.record.active
    assert user.plaintexts == {}
    assert seed_items(parse_seed({"users": [minimal]}))["tokens"] == []
