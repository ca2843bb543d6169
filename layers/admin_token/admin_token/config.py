"""Flags and settings from AppConfig, read through Powertools feature flags.

Powertools' `FeatureFlags.evaluate` answers the default when the store fails. That is wrong
for a kill switch, so every request first takes a validated snapshot of the whole document
(`load_configuration`): a failure there is `ConfigurationUnavailable` (503), unless an
earlier copy was read, which keeps serving (an AppConfig outage must not stop incident
response). Flags are then evaluated against that snapshot, so no later fetch can fall back.

A document that cannot be trusted counts as unreadable (`validate_configuration`, the one
validator the runtime and the local CLI share): besides Powertools' own schema, every value
of a boolean flag (its default and each rule's `when_match`) must be a JSON boolean, and
every value of `personal_access_token_prefix` a string. Powertools accepts
`{"default": "false", "boolean_type": false}`, and "false" is truthy: a kill switch must
never read as on because of a typo.

A boolean flag missing from the document is off (fail closed): no revoke, no trigger expiry,
no admin mode. A missing `personal_access_token_prefix` adds no prefix.
"""

from __future__ import annotations

import json
import os
import time
from functools import cache
from typing import Any, Final, TypedDict, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.exceptions import (
    ConfigurationStoreError,
    SchemaValidationError,
    StoreClientError,
)
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator
from botocore.config import Config

from admin_token.errors import ConfigurationUnavailable
from admin_token.observability import logger, metrics
from admin_token.restore import SNAPSHOTTING, on_new_environment

REVOKE_FLAG = "api_admin_token_revoke"
EXPIRE_TRIGGERS_FLAG = "token_api_expire_pipeline_triggers"
ADMIN_MODE_SETTING = "admin_mode"
PAT_PREFIX_SETTING = "personal_access_token_prefix"
AUTO_REVOKE_FLAG = "secret_detection_auto_revoke"  # kill switch of POST /v1/revoke_tokens
GITHUB_AUTO_REVOKE_FLAG = "github_secret_scanning_auto_revoke"  # kill switch of POST /v1/github/secret_scanning
GITLAB_URL_VARIABLE: Final = "GITLAB_URL"
DEFAULT_GITLAB_URL: Final = "https://gitlab.example.com"  # template.yaml's GitLabUrl default

BOOLEAN_FLAGS: Final = (
    REVOKE_FLAG,
    EXPIRE_TRIGGERS_FLAG,
    ADMIN_MODE_SETTING,
    AUTO_REVOKE_FLAG,
    GITHUB_AUTO_REVOKE_FLAG,
)
STRING_SETTINGS: Final = (PAT_PREFIX_SETTING,)


class InvalidConfiguration(ValueError):
    """The flags document must not be used; the message is one line saying which flag and why."""


def validate_configuration(document: Any) -> dict[str, Any]:
    """`document` if it is a feature-flags document this service may trust, else `InvalidConfiguration`.

    Our typing rules run first (their messages say plainly what is wrong), then Powertools'
    schema over every flag (conditions, rule names, flags we do not know).
    """
    if not isinstance(document, dict):
        raise InvalidConfiguration(f"the document must be a JSON object, not {_json_type(document)}")
    for name in BOOLEAN_FLAGS:
        if name in document:
            _check_flag(name, document[name], boolean=True)
    for name in STRING_SETTINGS:
        if name in document:
            _check_flag(name, document[name], boolean=False)
    for name, feature in document.items():
        _check_schema(name, feature)
    return document


def _check_schema(name: str, feature: Any) -> None:
    """Powertools' own validation, one flag at a time so the message can name the flag."""
    try:
        SchemaValidator(schema={name: feature}).validate()
    except SchemaValidationError as error:
        raise InvalidConfiguration(f"flag '{name}': {' '.join(str(error).split())}") from error
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        # Powertools' validator trips over some shapes itself (e.g. a list as a condition's action).
        raise InvalidConfiguration(
            f"flag '{name}': not in the feature-flags schema ({type(error).__name__})"
        ) from error


def _check_flag(name: str, feature: Any, *, boolean: bool) -> None:
    kind = "true or false" if boolean else "a string"

    def fail(problem: str) -> InvalidConfiguration:
        return InvalidConfiguration(f"flag '{name}': {problem}")

    if not isinstance(feature, dict):
        raise fail(f"must be an object with a default, not {_json_type(feature)}")
    if not _is_kind(feature.get("default"), boolean):
        raise fail(f"default must be {kind}, not {_show_value(feature, 'default')}")
    # Powertools decides how to evaluate from `boolean_type` (absent means boolean): a declared
    # type that disagrees with ours would make it convert, or not convert, the value behind our back.
    if feature.get("boolean_type", True) is not boolean:
        expected = "true or absent" if boolean else "false"
        raise fail(f"boolean_type must be {expected}, not {_show_value(feature, 'boolean_type')}")
    rules = feature.get("rules")
    if not isinstance(rules, dict):
        return  # absent or empty is fine; any other shape is Powertools' schema's to refuse
    for rule_name, rule in rules.items():
        if isinstance(rule, dict) and not _is_kind(rule.get("when_match"), boolean):
            raise fail(f"rule '{rule_name}': when_match must be {kind}, not {_show_value(rule, 'when_match')}")


def _is_kind(value: Any, boolean: bool) -> bool:
    return isinstance(value, bool) if boolean else isinstance(value, str)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _show_value(container: dict[str, Any], key: str) -> str:
    return _show(container[key]) if key in container else "missing"


def _show(value: Any) -> str:
    """The offending value as JSON, on one line and short: it goes into a log line or a CLI error."""
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class CallerContext(TypedDict):
    """What rules may match on: flags can be turned on per administrator."""

    user_id: int
    username: str


class _SnapshotStore(StoreProvider):
    """A store that only hands back a document already fetched and validated."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self._document

    def get_configuration(self) -> dict[str, Any]:
        return self._document


class Configuration:
    """A validated document's flags and settings (`InvalidConfiguration` if it does not validate)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = validate_configuration(document)
        self._flags = FeatureFlags(store=_SnapshotStore(document))

    def flag(self, name: str, context: CallerContext | None = None) -> bool:
        """On only when the document says exactly `true`: a missing flag is off."""
        return self._flags.evaluate(name=name, context=dict(context or {}), default=False) is True

    def setting(self, name: str, default: Any) -> Any:
        return self._flags.evaluate(name=name, context={}, default=default)

    @property
    def personal_access_token_prefix(self) -> str:
        prefix = self.setting(PAT_PREFIX_SETTING, "")
        return prefix if isinstance(prefix, str) else ""

    def admin_mode(self, context: CallerContext) -> bool:
        return self.flag(ADMIN_MODE_SETTING, context)

    def revoke_enabled(self, context: CallerContext) -> bool:
        return self.flag(REVOKE_FLAG, context)

    def expire_pipeline_triggers(self, context: CallerContext) -> bool:
        return self.flag(EXPIRE_TRIGGERS_FLAG, context)


class _LastKnownGood:
    """Fetches through Powertools' AppConfig store; remembers the last document that validated."""

    def __init__(self, store: StoreProvider) -> None:
        self._store = store
        self._last: Configuration | None = None
        self._last_read_at = 0.0
        self.started = False  # a session exists (or was attempted) once read() has run

    def read(self) -> Configuration:
        self.started = True
        try:
            document = self._store.get_configuration()
            # The store hands back the same object until it fetches again: validate once per fetch.
            if self._last is not None and document is self._last.document:
                configuration = self._last
            else:
                configuration = Configuration(document)
                _warn_about_missing_flags(document)
        except (ConfigurationStoreError, StoreClientError, InvalidConfiguration) as error:
            # An invalid document is treated as an unreadable one: never its values, never defaults.
            reason = {"reason": type(error).__name__}
            if isinstance(error, InvalidConfiguration):
                reason["problem"] = str(error)
            if self._last is None:
                logger.error("Configuration unavailable and none cached", extra=reason)
                raise ConfigurationUnavailable from error
            logger.warning(
                "Configuration unavailable; serving the last copy read",
                extra={**reason, "age_seconds": round(time.monotonic() - self._last_read_at)},
            )
            metrics.add_metric(name="ConfigurationStale", unit=MetricUnit.Count, value=1)
            return self._last
        self._last = configuration
        self._last_read_at = time.monotonic()
        return configuration


def _warn_about_missing_flags(document: dict[str, Any]) -> None:
    # Valid, and deliberately off; but an operator who dropped a flag by mistake should hear of it.
    missing = [name for name in (*BOOLEAN_FLAGS, *STRING_SETTINGS) if name not in document]
    if missing:
        logger.warning("Configuration lacks flags: boolean ones are off", extra={"missing_flags": missing})


@cache
def _source() -> _LastKnownGood:
    # Built on first use, once per execution environment: nothing runs at import.
    import boto3

    # An outage should fail over to the cached copy fast, not after botocore's default retries.
    client = boto3.client(
        "appconfigdata",
        config=Config(connect_timeout=1, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}),
    )
    store = AppConfigStore(
        application=os.environ["APPCONFIG_APPLICATION"],
        environment=os.environ["APPCONFIG_ENVIRONMENT"],
        name=os.environ["APPCONFIG_CONFIGURATION"],
        max_age=int(os.environ.get("APPCONFIG_MAX_AGE_SECONDS", "30")),
        boto3_client=client,
    )
    return _LastKnownGood(cast(StoreProvider, store))


def gitlab_url() -> str:
    """The GitLab instance's base URL, which users' `web_url` is built on."""
    return os.environ.get(GITLAB_URL_VARIABLE, DEFAULT_GITLAB_URL)


def load_configuration() -> Configuration:
    """The validated configuration for this request, or `ConfigurationUnavailable`."""
    return _source().read()


def reset_configuration_cache() -> None:
    """Forget the store and anything cached (tests; a new execution environment does this implicitly)."""
    _source.cache_clear()


@on_new_environment
def _forget_session() -> None:
    # AppConfig's session is one environment's: its poll token is good for one call, and a copy
    # using the original's would fail or read another's state. A copy that read nothing yet (a
    # snapshot is taken before any request) keeps the client built for it.
    if _source.cache_info().currsize and _source().started:
        reset_configuration_cache()


if SNAPSHOTTING:
    _source()  # the client and store, no request: the session starts at the first read
