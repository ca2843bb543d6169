"""A committed revoke, and only that, puts exactly one `Token revoked` event out.

The real handlers revoke against moto; the audit table's stream is read by the local stand-in of
the template's Pipe (its filter and input template), as `serve --events-log` does.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from admin_token.digests import token_digest
from admin_token.events import revoke_event_detail
from admin_token.storage.items import audit_record_from_item
from admin_token_local.stream_reader import StreamReader, stream_pipes
from tests.conftest import TEMPLATE
from tests.integration.conftest import Api, Tables, call
from tests.support import demo
from tests.support.events import bulk_event
from tests.support.plaintexts import seed_plaintexts

# The user each kind's token belongs to in the demo seed (alice is 2, project 10's bot 4).
OWNERS = {"personal access token": 2, "feed token": 2, "incoming email token": 2, "session": 2}


class Announced:
    """The events the Pipe's stand-in delivered since the test's tables were seeded."""

    def __init__(self, reader: StreamReader, out: io.StringIO) -> None:
        self.reader = reader
        self.out = out

    def events(self) -> list[dict[str, Any]]:
        self.reader.poll_once()
        return [json.loads(line) for line in self.out.getvalue().splitlines()]


@pytest.fixture
def announced(tables: dict[str, str], dynamodb_endpoint: str) -> Iterator[Announced]:
    [pipe] = stream_pipes(TEMPLATE)
    out = io.StringIO()
    reader = StreamReader(pipe, tables[pipe.table_logical_id], dynamodb_endpoint, out)
    assert reader.open()
    yield Announced(reader, out)
    # Whatever a test did, no event carried a token or a digest.
    text = out.getvalue()
    assert [secret for secret in seed_plaintexts() if secret in text or token_digest(secret) in text] == []


def stream_records(db: Tables, table: str) -> list[dict[str, Any]]:
    """Everything on the audit table's stream since it was created (the stream itself, not the pipe)."""
    streams = boto3.client("dynamodbstreams", endpoint_url=db.client.meta.endpoint_url)
    arn = db.client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        records += streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return records


@pytest.mark.parametrize("kind", list(demo.REVOKE_ANSWERS))
def test_a_revoke_of_each_kind_is_announced_once_with_the_audit_records_detail(
    api: Api, db: Tables, announced: Announced, kind: str
) -> None:
    token, token_type, action, target, _ = demo.REVOKE_ANSWERS[kind]
    assert api.revoke(body={"token": token, "dry_run": True}).status == 200

    response = api.revoke(token)

    assert response.status == 204
    [event] = announced.events()  # one for the revoke, none for the dry run before it
    assert (event["source"], event["detail-type"]) == ("admin-token-api", "Token revoked")
    assert event["detail"] == {
        "token_type": token_type,
        "action": action,
        "target": target,
        "owner_user_id": OWNERS.get(kind),
        "author": {"id": 1, "name": "Administrator", "class": "User"},
        "audit_event_id": int(response.headers["X-Audit-Event-Id"]),
        "location": None,
    }
    [audit] = db.client.scan(TableName=db.names["AuditTable"])["Items"]
    [record] = stream_records(db, db.names["AuditTable"])
    assert record["eventName"] == "INSERT"
    assert record["dynamodb"]["NewImage"] == audit
    assert event["detail"] == revoke_event_detail(audit_record_from_item(db.audit_records()[0]))


def test_a_project_access_token_names_its_bot_as_the_owner(api: Api, announced: Announced) -> None:
    assert api.revoke(demo.PROJECT_BOT_PAT).status == 204
    [event] = announced.events()
    assert event["detail"]["owner_user_id"] == 4


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (demo.ADMIN_REVOKED, 204),  # already revoked: nothing written
        (demo.ORPHAN_BOT_PAT, 400),  # refused
        (demo.ORPHAN_DEPLOY, 400),  # refused
        (demo.RUNNING_JOB, 400),  # a type that cannot be revoked
        ("glpat-notAnyonesTokenAtAll1", 404),
    ],
)
def test_nothing_is_announced_when_nothing_was_revoked(
    api: Api, db: Tables, announced: Announced, token: str, status: int
) -> None:
    assert api.revoke(token).status == status
    assert announced.events() == []
    assert stream_records(db, db.names["AuditTable"]) == []


def test_a_second_revoke_of_the_same_token_is_not_announced_again(api: Api, announced: Announced) -> None:
    assert api.revoke(demo.ALICE_PAT).status == 204
    assert api.revoke(demo.ALICE_PAT).status == 204
    assert len(announced.events()) == 1


def test_a_bulk_revoke_announces_each_changed_element_once_and_nothing_for_its_dry_run(announced: Announced) -> None:
    tokens = [demo.AGENT, demo.ALICE_FEED, demo.ADMIN_REVOKED, demo.ORPHAN_DEPLOY, "glpat-notAnyonesTokenAtAll1"]
    dry = call("RevokeFunction", bulk_event({"tokens": tokens, "dry_run": True}, demo.ADMIN))
    assert dry.status == 200
    assert announced.events() == []

    response = call("RevokeFunction", bulk_event({"tokens": tokens}, demo.ADMIN))

    assert response.status == 200
    changed = {result["audit_event_id"] for result in response.body["results"] if result.get("audit_event_id")}
    events = announced.events()
    assert len(changed) == 2
    assert sorted(event["detail"]["audit_event_id"] for event in events) == sorted(changed)
    assert {event["detail"]["token_type"] for event in events} == {"cluster_agent_token", "feed_token"}
