"""The template's EventBridge Pipes, played locally: a table's stream in, events as delivered out.

For each `AWS::Pipes::Pipe` whose source is a table's stream (`!GetAtt <Table>.StreamArn`), a
reader follows every shard of that stream, keeps the records the pipe's filter lets through,
renders the pipe's `InputTemplate` against each one, and writes the event a rule target would
receive (`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`,
`detail`) as one JSON line. Filter, template, source and detail type are all read from the
template: nothing about the audit table or its event is repeated here.

The reader starts at LATEST, after the tables are created and seeded and before the gateway takes
a request: seeded items are never announced, and every revoke made through `serve` is. Shards
that appear later are read from their start.

It writes nothing but events (which hold no token and no digest) and, on a stream fault, one line
naming the fault.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from admin_token_local.template import PSEUDO_PARAMETERS, Template, table_names

PIPE_TYPE = "AWS::Pipes::Pipe"
POLL_SECONDS = 0.25
# How often open shards are listed again, to find new ones (DynamoDB rolls shards every few hours).
DISCOVER_SECONDS = 10.0
_PLACEHOLDER = re.compile(r"<(\$[^<>]*)>")


@dataclass(frozen=True)
class StreamPipe:
    """One pipe from a table's stream to an event bus, as the template declares it."""

    name: str
    table_logical_id: str
    patterns: tuple[dict[str, Any], ...]
    input_template: str | None
    source: str
    detail_type: str


def stream_pipes(template: Template) -> list[StreamPipe]:
    """The template's pipes whose source is a DynamoDB table's stream."""
    pipes = []
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != PIPE_TYPE:
            continue
        properties = resource.get("Properties") or {}
        source = properties.get("Source")
        attribute = source.get("Fn::GetAtt") if isinstance(source, dict) else None
        if not (isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "StreamArn"):
            continue
        filters = ((properties.get("SourceParameters") or {}).get("FilterCriteria") or {}).get("Filters") or []
        target = properties.get("TargetParameters") or {}
        bus = target.get("EventBridgeEventBusParameters") or {}
        pipes.append(
            StreamPipe(
                name=logical_id,
                table_logical_id=attribute[0],
                patterns=tuple(json.loads(entry["Pattern"]) for entry in filters),
                input_template=target.get("InputTemplate"),
                source=str(bus.get("Source", "")),
                detail_type=str(bus.get("DetailType", "")),
            )
        )
    return pipes


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """EventBridge's pattern matching, for the literal-value patterns a filter here uses."""
    for key, expected in pattern.items():
        if key not in record:
            return False
        if isinstance(expected, dict):
            if not isinstance(record[key], dict) or not matches(expected, record[key]):
                return False
        elif record[key] not in expected:
            return False
    return True


def json_path(payload: Any, path: str) -> Any:
    """`$.a.b[0]`: the dot and index JSON paths an input template may use."""
    value = payload
    for part in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[1:]) if path.startswith("$") else []:
        key, index = part
        value = value[int(index)] if index else value[key]
    return value


def render_input_template(input_template: str | None, payload: Mapping[str, Any]) -> Any:
    """What the pipe hands its target: the rendered template, parsed as JSON when it is JSON.

    A placeholder inside a JSON string takes the value's text, escaped for that string; outside
    one, a string value is inserted as is and any other value as JSON. Without a template the
    payload itself is passed on. A path the payload lacks raises KeyError.
    """
    if input_template is None:
        return dict(payload)
    pieces: list[str] = []
    in_string = False
    position = 0
    for match in _PLACEHOLDER.finditer(input_template):
        literal = input_template[position : match.start()]
        in_string = _string_state_after(literal, in_string)
        value = json_path(payload, match.group(1))
        if in_string:
            text = value if isinstance(value, str) else json.dumps(value)
            pieces.append(literal + json.dumps(text)[1:-1])
        else:
            pieces.append(literal + (value if isinstance(value, str) else json.dumps(value)))
        position = match.end()
    pieces.append(input_template[position:])
    rendered = "".join(pieces)
    try:
        return json.loads(rendered)
    except ValueError:
        return rendered


def _string_state_after(text: str, in_string: bool) -> bool:
    escaped = False
    for character in text:
        if escaped:
            escaped = False
        elif character == "\\" and in_string:
            escaped = True
        elif character == '"':
            in_string = not in_string
    return in_string


def delivered_event(pipe: StreamPipe, detail: Any, region: str, now: datetime | None = None) -> dict[str, Any]:
    """The event as EventBridge delivers it to a rule's target."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": pipe.detail_type,
        "source": pipe.source,
        "account": PSEUDO_PARAMETERS["AWS::AccountId"],
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": detail,
    }


class StreamReader:
    """Follows one table's stream for one pipe; `open` then `poll_once`, or `start` / `stop`."""

    def __init__(self, pipe: StreamPipe, table_name: str, endpoint_url: str | None, out: IO[str]) -> None:
        self.pipe = pipe
        self.table_name = table_name
        self.out = out
        session = boto3.session.Session()
        region = session.region_name or PSEUDO_PARAMETERS["AWS::Region"]
        self._dynamodb = session.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
        self._streams = session.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)
        self.region = region
        self.stream_arn: str | None = None
        self._iterators: dict[str, str] = {}  # open shard id -> next iterator
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_discovery = 0.0

    def open(self) -> bool:
        """Position at LATEST on every open shard; False when the table has no stream."""
        description = self._dynamodb.describe_table(TableName=self.table_name)["Table"]
        self.stream_arn = description.get("LatestStreamArn")
        if not self.stream_arn or not description.get("StreamSpecification", {}).get("StreamEnabled"):
            return False
        self._discover("LATEST")
        return True

    def _discover(self, position: str) -> None:
        """Iterators for shards not seen yet: at `position` (LATEST at startup, else TRIM_HORIZON)."""
        assert self.stream_arn is not None
        start: dict[str, Any] = {}
        while True:
            stream = self._streams.describe_stream(StreamArn=self.stream_arn, **start)["StreamDescription"]
            for shard in stream.get("Shards", []):
                shard_id = shard["ShardId"]
                if shard_id in self._seen:
                    continue
                self._seen.add(shard_id)
                closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
                if closed and position == "LATEST":
                    continue  # a shard closed before we started holds nothing after our start
                iterator = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=position
                )["ShardIterator"]
                self._iterators[shard_id] = iterator
            last = stream.get("LastEvaluatedShardId")
            if not last:
                return
            start = {"ExclusiveStartShardId": last}

    def poll_once(self) -> int:
        """Read every open shard once; write an event per record the filter passes. How many."""
        written = 0
        for shard_id, iterator in list(self._iterators.items()):
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            following = response.get("NextShardIterator")
            if following:
                self._iterators[shard_id] = following
            else:
                del self._iterators[shard_id]  # the shard is closed and read to its end
            for record in response.get("Records", []):
                written += self._deliver({**record, "eventSourceARN": self.stream_arn})
        return written

    def _deliver(self, record: Mapping[str, Any]) -> int:
        if self.pipe.patterns and not any(matches(pattern, record) for pattern in self.pipe.patterns):
            return 0
        try:
            detail = render_input_template(self.pipe.input_template, record)
        except (KeyError, IndexError, TypeError):
            # Never the record itself: it may be any item of the table.
            self._fault(f"{self.pipe.name}: a record lacks what the input template names; not delivered")
            return 0
        line = json.dumps(delivered_event(self.pipe, detail, self.region), separators=(",", ":"))
        self.out.write(line + "\n")
        self.out.flush()
        return 1

    def _fault(self, message: str) -> None:
        print(f"stream reader: {message}", file=sys.stderr, flush=True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.pipe.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll_once()
                now = datetime.now(UTC).timestamp()
                if now - self._last_discovery >= DISCOVER_SECONDS:
                    self._last_discovery = now
                    self._discover("TRIM_HORIZON")
            except (BotoCoreError, ClientError) as error:
                code = error.response["Error"].get("Code") if isinstance(error, ClientError) else type(error).__name__
                self._fault(f"{self.pipe.name}: {code}; retrying")
                self._stop.wait(1.0)

    def stop(self) -> None:
        """Stop polling, after delivering what the stream already holds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(BotoCoreError, ClientError):
            self.poll_once()


@contextlib.contextmanager
def announce_stream_events(
    template: Template, dynamodb_endpoint: str | None, events_log: Path | None
) -> Iterator[list[StreamReader]]:
    """Every stream pipe of the template, writing to `events_log` (appended; default stderr).

    Call it once the tables exist and hold their seed, before anything else writes to them.
    """
    names = table_names(template)
    with contextlib.ExitStack() as stack:
        out: IO[str] = sys.stderr
        if events_log is not None:
            out = stack.enter_context(events_log.open("a", encoding="utf-8"))
        readers = []
        for pipe in stream_pipes(template):
            reader = StreamReader(pipe, names.get(pipe.table_logical_id, pipe.table_logical_id), dynamodb_endpoint, out)
            if not reader.open():
                print(f"stream reader: {reader.table_name} has no stream; {pipe.name} sends nothing", file=sys.stderr)
                continue
            reader.start()
            stack.callback(reader.stop)
            readers.append(reader)
        yield readers
