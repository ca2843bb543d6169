"""The seed file (docs/local-run.md): plaintext tokens go in, only their digests are stored.

An entry of a section is the layer's record of its kind (`admin_token.models.records`) plus the
plaintext tokens it is found by. The record reads and checks every other field, so a seed has
exactly the fields the service stores and is read as the service reads them (a time without a
UTC offset, or a date alone, as UTC).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from admin_token.digests import token_digest, token_hint
from admin_token.models.frozen import Frozen
from admin_token.models.records import (
    CiJob,
    ClusterAgentToken,
    DeployToken,
    FeatureFlagsClient,
    OAuthApplication,
    PersonalAccessToken,
    PipelineTrigger,
    Record,
    RecordError,
    Runner,
    ScimAccessToken,
    User,
)
from admin_token.storage.dynamodb import DynamoDBTokenStore
from admin_token.storage.items import runner_items, token_item, token_pointer_item, user_item
from admin_token_local.dynamodb_local import dynamodb_client

DEMO_SEED_PATH = Path(__file__).resolve().parents[2] / "demo" / "seed.json"
TABLE_ROLES = {"tokens": "TokensTable", "users": "UsersTable", "runners": "RunnersTable", "audit": "AuditTable"}
SESSION_PREFIX = "_gitlab_session="


class SeedError(Exception):
    """A seed that cannot be used; the message is one line that says why."""


class Session(Record):
    """A browser session: its id (the plaintext) belongs to a user."""

    user_id: int


Derive = Callable[[Mapping[str, Any], Mapping[str, str]], dict[str, Any]]


def _user_digests(_: Mapping[str, Any], plaintexts: Mapping[str, str]) -> dict[str, Any]:
    return {f"{key}_digest": token_digest(plaintext) for key, plaintext in plaintexts.items()}


def _trigger_fields(attributes: Mapping[str, Any], plaintexts: Mapping[str, str]) -> dict[str, Any]:
    # What GitLab keeps of a trigger's token, and its row's update time (as created).
    return {"token_hint": token_hint(plaintexts["token"], "glptt-"), "updated_at": attributes.get("created_at")}


class Section(Frozen, kw_only=False):
    """How a section's entries are read, and what they are stored as."""

    record: type[Record]
    token_type: str | None  # the entry's own item in the tokens table; None: users, runners, sessions
    plaintexts: tuple[str, ...] = ("token",)
    optional: bool = False  # the plaintexts may be null or left out (a user's feed token)
    derived: tuple[str, ...] = ()  # the record's fields the service derives: never in a seed
    derive: Derive | None = None
    required: tuple[str, ...] = ()  # fields the record leaves optional that this section needs
    defaults: tuple[tuple[str, Any], ...] = ()  # for fields the record requires


SECTIONS: dict[str, Section] = {
    "users": Section(
        User,
        None,
        ("feed_token", "incoming_email_token"),
        optional=True,
        derived=("feed_token_digest", "incoming_email_token_digest"),
        derive=_user_digests,
        defaults=(("state", "active"),),
    ),
    "personal_access_tokens": Section(PersonalAccessToken, "personal_access_token"),
    "deploy_tokens": Section(DeployToken, "deploy_token"),
    "oauth_applications": Section(OAuthApplication, "oauth_application_secret", ("secret",)),
    "cluster_agent_tokens": Section(ClusterAgentToken, "cluster_agent_token"),
    "runners": Section(Runner, None, derived=("version",)),
    "pipeline_triggers": Section(
        PipelineTrigger, "pipeline_trigger_token", derived=("token_hint", "updated_at"), derive=_trigger_fields
    ),
    "ci_jobs": Section(CiJob, "ci_job_token"),
    "feature_flags_clients": Section(FeatureFlagsClient, "feature_flags_client_token"),
    "sessions": Section(Session, None, ("session_id",)),
    # GitLab's two SCIM tables: the instance's token names its organization, a group's its group.
    "scim_oauth_access_tokens": Section(
        ScimAccessToken, "scim_access_token", derived=("group_id",), required=("organization_id",)
    ),
    "group_scim_auth_access_tokens": Section(
        ScimAccessToken, "scim_access_token", derived=("organization_id",), required=("group_id",)
    ),
}


class Entry(Frozen, kw_only=False):
    """One entry of a section: what the service stores, and the plaintexts it is found by."""

    record: Any  # its section's record
    plaintexts: Mapping[str, str]  # by key; a null optional one is left out


class Seed(Frozen, kw_only=False):
    sections: Mapping[str, tuple[Entry, ...]]

    def entries(self, section: str) -> tuple[Entry, ...]:
        """A section's entries; none for a section the file left out."""
        return self.sections.get(section, ())


def load_seed_file(path: Path) -> Seed:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(f"cannot read seed file {path}: {_lower_first(error.strerror or str(error))}") from error
    except ValueError as error:
        raise SeedError(f"seed file {path} is not valid JSON: {_lower_first(str(error))}") from error
    return parse_seed(document, source=str(path))


def parse_seed(document: Any, source: str = "seed") -> Seed:
    if not isinstance(document, dict):
        raise SeedError(f"{source}: a seed is a JSON object of sections")
    for name in document:
        if name not in SECTIONS:
            raise SeedError(f"{source}: unknown key '{name}' at {name}")
    return Seed({name: _entries(name, entries, source) for name, entries in document.items()})


def _entries(name: str, entries: Any, source: str) -> tuple[Entry, ...]:
    if not isinstance(entries, list):
        raise SeedError(f"{source}: {name}: must be a list")
    return tuple(_entry(SECTIONS[name], given, f"{name}.{index}", source) for index, given in enumerate(entries))


def _entry(section: Section, given: Any, where: str, source: str) -> Entry:
    if not isinstance(given, dict):
        raise SeedError(f"{source}: {where}: must be an object")
    known = {spec.name for spec in section.record.__fields__} - set(section.derived) | set(section.plaintexts)
    for key in given:
        if key not in known:
            raise SeedError(f"{source}: unknown key '{key}' at {where}.{key}")
    plaintexts: dict[str, str] = {}
    for key in section.plaintexts:
        value = given.get(key)
        if value is None and section.optional:
            continue
        if not isinstance(value, str):
            raise SeedError(f"{source}: {where}.{key}: {'is missing' if value is None else 'must be a string'}")
        plaintexts[key] = value
    for key in section.required:
        if given.get(key) is None:
            raise SeedError(f"{source}: {where}.{key}: is missing")
    attributes = {**dict(section.defaults)}
    attributes.update((key, value) for key, value in given.items() if key not in section.plaintexts)
    if section.derive is not None:
        attributes.update(section.derive(attributes, plaintexts))
    try:
        record = section.record.from_attributes(attributes)
    except RecordError as error:
        raise SeedError(f"{source}: {where}.{error.field}: {error.problem}") from None
    return Entry(record, plaintexts)


def _lower_first(message: str) -> str:
    # The CLI's error lines read as argparse's: lowercase after each colon (json and the OS
    # capitalise theirs).
    return message[:1].lower() + message[1:]


def seed_items(seed: Seed) -> dict[str, list[dict[str, Any]]]:
    """Every item the seed becomes, by table role. Tokens appear only as digests."""
    return {
        "users": [user_item(entry.record) for entry in seed.entries("users")],
        "runners": [item for entry in seed.entries("runners") for item in runner_items(entry.record)],
        "tokens": list(_token_items(seed)),
    }


def _token_items(seed: Seed) -> Iterator[dict[str, Any]]:
    for user in seed.entries("users"):
        for key, plaintext in user.plaintexts.items():
            yield token_pointer_item(token_digest(plaintext), key, user_id=user.record.id)
    for session in seed.entries("sessions"):
        digest = token_digest(SESSION_PREFIX + session.plaintexts["session_id"])
        yield token_pointer_item(digest, "gitlab_session", user_id=session.record.user_id)
    for runner in seed.entries("runners"):
        yield token_pointer_item(
            token_digest(runner.plaintexts["token"]), "runner_authentication_token", runner_id=runner.record.id
        )
    for name, section in SECTIONS.items():
        if section.token_type is None:
            continue
        for entry in seed.entries(name):
            digest = token_digest(entry.plaintexts[section.plaintexts[0]])
            yield token_item(digest, section.token_type, entry.record.to_attributes())


def write_seed(seed: Seed, *, endpoint_url: str | None, table_names: Mapping[str, str]) -> None:
    """Load the seed into the tables (logical id -> physical name) at `endpoint_url` (None: AWS)."""
    store = DynamoDBTokenStore(
        client=dynamodb_client(endpoint_url),
        tables={role: table_names.get(logical_id, logical_id) for role, logical_id in TABLE_ROLES.items()},
    )
    for role, items in seed_items(seed).items():
        store.put_items(role, items)


def demo_admin_token(seed: Seed) -> str | None:
    """A token that passes every check on callers (docs/contract.md): active admin, live, `api` scope."""
    admins = {user.record.id for user in seed.entries("users") if user.record.admin and user.record.active}
    today = datetime.now(UTC).date()
    usable = [
        entry
        for entry in seed.entries("personal_access_tokens")
        if entry.record.user_id in admins and "api" in entry.record.scopes and entry.record.active(today)
    ]
    # Prefer one that also carries admin_mode: it keeps working when an operator turns admin mode on.
    usable.sort(key=lambda entry: "admin_mode" not in entry.record.scopes)
    return usable[0].plaintexts["token"] if usable else None


def demo_runner_token(seed: Seed) -> str | None:
    runners = seed.entries("runners")
    return runners[0].plaintexts["token"] if runners else None
