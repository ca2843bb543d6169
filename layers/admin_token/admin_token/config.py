"""Flags and settings from AppConfig, read through Powertools feature flags.

Powertools' `FeatureFlags.evaluate` answers the default when the store fails. That is wrong
for a kill switch, so every request first takes a validated snapshot of the whole document
(`load_configuration`): a failure there is `ConfigurationUnavailable` (503), unless an
earlier copy was read, which keeps serving (an AppConfig outage must not stop incident
response). Flags are then evaluated against that snapshot, so no later fetch can fall back.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import Any, TypedDict, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.exceptions import (
    ConfigurationStoreError,
    SchemaValidationError,
    StoreClientError,
)
from botocore.config import Config

from admin_token.errors import ConfigurationUnavailable
from admin_token.observability import logger, metrics

REVOKE_FLAG = "api_admin_token_revoke"
EXPIRE_TRIGGERS_FLAG = "token_api_expire_pipeline_triggers"
ADMIN_MODE_SETTING = "admin_mode"
PAT_PREFIX_SETTING = "personal_access_token_prefix"


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
    """One request's view of the flags and settings."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._flags = FeatureFlags(store=_SnapshotStore(document))

    def flag(self, name: str, context: CallerContext | None = None, *, default: bool) -> bool:
        return bool(self._flags.evaluate(name=name, context=dict(context or {}), default=default))

    def setting(self, name: str, default: Any) -> Any:
        return self._flags.evaluate(name=name, context={}, default=default)

    @property
    def personal_access_token_prefix(self) -> str:
        prefix = self.setting(PAT_PREFIX_SETTING, "")
        return prefix if isinstance(prefix, str) else ""

    def admin_mode(self, context: CallerContext) -> bool:
        return self.flag(ADMIN_MODE_SETTING, context, default=False)

    def revoke_enabled(self, context: CallerContext) -> bool:
        return self.flag(REVOKE_FLAG, context, default=True)

    def expire_pipeline_triggers(self, context: CallerContext) -> bool:
        return self.flag(EXPIRE_TRIGGERS_FLAG, context, default=True)


class _LastKnownGood:
    """Fetches through Powertools' AppConfig store; remembers the last document that validated."""

    def __init__(self, store: StoreProvider) -> None:
        self._store = store
        self._last: dict[str, Any] | None = None
        self._last_read_at = 0.0

    def read(self) -> dict[str, Any]:
        try:
            document = FeatureFlags(store=self._store).get_configuration()
        except (ConfigurationStoreError, StoreClientError, SchemaValidationError) as error:
            if self._last is None:
                logger.error("Configuration unavailable and none cached", extra={"reason": type(error).__name__})
                raise ConfigurationUnavailable from error
            logger.warning(
                "Configuration unavailable; serving the last copy read",
                extra={"reason": type(error).__name__, "age_seconds": round(time.monotonic() - self._last_read_at)},
            )
            metrics.add_metric(name="ConfigurationStale", unit=MetricUnit.Count, value=1)
            return self._last
        self._last = document
        self._last_read_at = time.monotonic()
        return document


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


def load_configuration() -> Configuration:
    """The validated configuration for this request, or `ConfigurationUnavailable`."""
    return Configuration(document=_source().read())


def reset_configuration_cache() -> None:
    """Forget the store and anything cached (tests; a new execution environment does this implicitly)."""
    _source.cache_clear()
