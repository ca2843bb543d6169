"""Flags and settings (docs/contract.md) through the handlers: a flag that is not the type it must be
never enables anything, and a boolean flag missing from the document is off.

Powertools' schema accepts `{"default": "false", "boolean_type": false}`, and Python reads the
string "false" as true. Such a document counts as invalid, exactly like an unreadable one: the
last good copy keeps serving, else 503. Each test also proves that the document under test was
the one read (a value that is not the code's default shows through), so none can pass because
the configuration silently fell back to defaults.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from admin_token.config import reset_configuration_cache
from admin_token_local.appconfig_standin import AppConfigStandIn
from tests.integration.conftest import DEFAULT_FLAGS, Api, Tables
from tests.support import demo

UNAVAILABLE = (503, {"message": "Configuration unavailable"})
FLAG_OFF = (404, {"message": "'api_admin_token_revoke' feature flag is disabled"})
NOT_FOUND = (404, {"message": {"error": "Not found"}})
UNSUPPORTED = (422, {"message": "Token type not supported."})
FORBIDDEN = (403, {"message": "403 Forbidden"})
TRIGGER_REFUSED = (400, {"message": {"error": "Unsupported token type"}})

# Values the code never falls back to: admin mode on, a custom personal access token prefix.
ADMIN_MODE_ON = {"admin_mode": {"default": True}}
ACME_PREFIX = {"personal_access_token_prefix": {"default": "acme-", "boolean_type": False}}


def status_body(response: Any) -> tuple[int, Any]:
    return response.status, response.body


def deploy(appconfig: AppConfigStandIn, document: dict[str, Any], *, forget_cache: bool = True) -> None:
    appconfig.set_document(copy.deepcopy(document))
    if forget_cache:
        reset_configuration_cache()


def without(*names: str, **extra: dict[str, Any]) -> dict[str, Any]:
    """The template's document without some flags, with others replaced."""
    document = {name: value for name, value in copy.deepcopy(DEFAULT_FLAGS).items() if name not in names}
    return {**document, **extra}


def rule(when_match: Any) -> dict[str, Any]:
    return {"root": {"when_match": when_match, "conditions": [{"action": "EQUALS", "key": "user_id", "value": 1}]}}


WRONGLY_TYPED = {
    "revoke flag, string default": {"api_admin_token_revoke": {"default": "false", "boolean_type": False}},
    "revoke flag, declared non-boolean": {"api_admin_token_revoke": {"default": True, "boolean_type": False}},
    "revoke flag, string when_match": {
        "api_admin_token_revoke": {"default": False, "boolean_type": False, "rules": rule("false")}
    },
    "revoke flag, number default": {"api_admin_token_revoke": {"default": 0, "boolean_type": False}},
    "trigger flag, string default": {"token_api_expire_pipeline_triggers": {"default": "no", "boolean_type": False}},
    "admin mode, string default": {"admin_mode": {"default": "true", "boolean_type": False}},
    "prefix, number": {"personal_access_token_prefix": {"default": 5, "boolean_type": False}},
    "prefix, declared boolean": {"personal_access_token_prefix": {"default": True}},
    "prefix, list when_match": {
        "personal_access_token_prefix": {"default": "", "boolean_type": False, "rules": rule(["acme-"])}
    },
}


@pytest.mark.parametrize("features", WRONGLY_TYPED.values(), ids=WRONGLY_TYPED.keys())
def test_a_wrongly_typed_flag_with_nothing_cached_is_503(
    api: Api, db: Tables, appconfig: AppConfigStandIn, features: dict[str, Any]
) -> None:
    deploy(appconfig, {**DEFAULT_FLAGS, **features})

    assert status_body(api.revoke(demo.AGENT)) == UNAVAILABLE
    assert status_body(api.revoke(demo.TRIGGER)) == UNAVAILABLE
    assert status_body(api.lookup(demo.AGENT)) == UNAVAILABLE
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert "expires_at" not in db.token_item(demo.TRIGGER)
    assert db.audit_records() == []


@pytest.mark.parametrize("features", WRONGLY_TYPED.values(), ids=WRONGLY_TYPED.keys())
def test_a_wrongly_typed_flag_after_a_good_read_keeps_the_last_good_copy(
    api: Api, db: Tables, appconfig: AppConfigStandIn, features: dict[str, Any]
) -> None:
    # Given a good document with the kill switch off and admin mode on has been read
    good = {**DEFAULT_FLAGS, "api_admin_token_revoke": {"default": False}, **ADMIN_MODE_ON, **ACME_PREFIX}
    deploy(appconfig, good)
    assert status_body(api.revoke(demo.AGENT)) == FLAG_OFF

    # When a wrongly typed one is deployed (the cache is not forgotten: this is a new fetch)
    deploy(appconfig, {**good, **features}, forget_cache=False)

    # Then the good copy keeps answering: revoke stays off, admin mode on, the prefix known
    assert status_body(api.revoke(demo.AGENT)) == FLAG_OFF
    assert status_body(api.revoke(demo.TRIGGER)) == FLAG_OFF
    assert status_body(api.lookup(demo.AGENT, as_=demo.ADMIN_NO_ADMIN_MODE)) == FORBIDDEN
    assert status_body(api.lookup("acme-noSuchToken")) == NOT_FOUND
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert db.audit_records() == []


def test_the_kill_switch_set_to_the_string_false_does_not_revoke(
    api: Api, db: Tables, appconfig: AppConfigStandIn
) -> None:
    # The case, one step at a time: a good copy with the switch off, then "false".
    deploy(appconfig, {**DEFAULT_FLAGS, "api_admin_token_revoke": {"default": False}})
    assert status_body(api.revoke(demo.AGENT)) == FLAG_OFF
    deploy(
        appconfig,
        {**DEFAULT_FLAGS, "api_admin_token_revoke": {"default": "false", "boolean_type": False}},
        forget_cache=False,
    )

    assert status_body(api.revoke(demo.AGENT)) == FLAG_OFF
    assert db.token_item(demo.AGENT)["status"] == "active"


def test_trigger_expiry_set_to_no_does_not_expire(api: Api, db: Tables, appconfig: AppConfigStandIn) -> None:
    deploy(appconfig, {**DEFAULT_FLAGS, "token_api_expire_pipeline_triggers": {"default": False}})
    assert status_body(api.revoke(demo.TRIGGER)) == TRIGGER_REFUSED
    deploy(
        appconfig,
        {**DEFAULT_FLAGS, "token_api_expire_pipeline_triggers": {"default": "no", "boolean_type": False}},
        forget_cache=False,
    )

    assert status_body(api.revoke(demo.TRIGGER)) == TRIGGER_REFUSED
    assert api.lookup(demo.TRIGGER).body["expires_at"] is None


# -- a boolean flag missing from the document is off -----------------------------------------


def test_a_missing_revoke_flag_is_off(api: Api, db: Tables, appconfig: AppConfigStandIn) -> None:
    deploy(appconfig, without("api_admin_token_revoke", **ADMIN_MODE_ON))

    # This document is the one read: admin mode is on.
    assert status_body(api.revoke(demo.AGENT, as_=demo.ADMIN_NO_ADMIN_MODE)) == FORBIDDEN
    assert status_body(api.revoke(demo.AGENT)) == FLAG_OFF
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert db.audit_records() == []


def test_a_missing_trigger_expiry_flag_refuses_expiry(api: Api, db: Tables, appconfig: AppConfigStandIn) -> None:
    deploy(appconfig, without("token_api_expire_pipeline_triggers", **ADMIN_MODE_ON))
    before = db.token_item(demo.TRIGGER)

    assert status_body(api.revoke(demo.TRIGGER, as_=demo.ADMIN_NO_ADMIN_MODE)) == FORBIDDEN
    assert status_body(api.revoke(demo.TRIGGER)) == TRIGGER_REFUSED
    assert db.token_item(demo.TRIGGER) == before


def test_a_missing_admin_mode_flag_is_off(api: Api, appconfig: AppConfigStandIn) -> None:
    deploy(appconfig, without("admin_mode", **ACME_PREFIX))

    # This document is the one read: the custom prefix is known.
    assert status_body(api.lookup("acme-noSuchToken")) == NOT_FOUND
    assert api.lookup(demo.AGENT, as_=demo.ADMIN_NO_ADMIN_MODE).status == 200


def test_a_missing_prefix_setting_adds_no_prefix(api: Api, appconfig: AppConfigStandIn) -> None:
    deploy(appconfig, without("personal_access_token_prefix", **ADMIN_MODE_ON))

    assert status_body(api.lookup(demo.AGENT, as_=demo.ADMIN_NO_ADMIN_MODE)) == FORBIDDEN
    assert status_body(api.lookup("acme-noSuchToken")) == UNSUPPORTED
    assert api.lookup(demo.AGENT).status == 200
