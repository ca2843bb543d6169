"""Capture everything the functions emit, and look for plaintext tokens in it.

Channels, each a list of strings:

- ``stdout`` / ``stderr``: what the process writes, read through pytest's ``capfd``. The
  Powertools logger writes JSON lines to stdout and Metrics prints its EMF documents there.
  The logger's handler holds the stream it was built with, and under pytest that is pytest's
  own global capture stream, which neither ``capsys`` nor ``capfd`` sees. So while a capture
  is open, the handler writes to the current ``sys.stdout``, as it would on Lambda.
- ``logging``: every record any stdlib logger emits at DEBUG and above (Powertools'
  internals, botocore, ...), formatted with its traceback, plus the record's attributes
  (``extra`` fields included).
- ``aws_requests``: the operation and parameters of every AWS SDK call made (what reaches
  DynamoDB and AppConfig).
- ``responses``: every proxy response, status, headers and body.

No X-Ray channel: the functions carry no X-Ray SDK (no Powertools Tracer, docs/performance.md
says why), so nothing of theirs is traced. With ``Tracing: Active`` Lambda records each
invocation's segment itself, from outside the function: names, timings and fault status,
nothing of the request, the response or the AWS calls' parameters.

Everything is restored when the capture closes.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import botocore.client
import pytest

from admin_token.observability import logger as powertools_logger
from tests.integration.conftest import ApiResponse, call

__all__ = ["Capture", "Finding", "find_needles", "needles_for", "walk_strings"]


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of writing (pytest swaps it per phase)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        if not sys.stdout.closed:
            sys.stdout.flush()


class _RecordCollector(logging.Handler):
    """Formats every record with its traceback, and keeps its attributes too."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is still scanned, raw
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(record.exc_info[1]))
        self.sink.append(text)
        self.sink.append(repr({key: value for key, value in vars(record).items() if key != "exc_info"}))


@dataclass
class Finding:
    channel: str
    needle: str
    excerpt: str


@dataclass
class Capture:
    """Open with ``with Capture(capfd) as capture:``; send requests with ``capture.call``."""

    capfd: pytest.CaptureFixture[str]
    channels: dict[str, list[str]] = field(
        default_factory=lambda: {name: [] for name in ("stdout", "stderr", "logging", "aws_requests", "responses")}
    )
    calls: int = 0
    _undo: list[Any] = field(default_factory=list)

    # -- opening and closing ---------------------------------------------------------------

    def __enter__(self) -> Capture:
        self.capfd.readouterr()  # drop what came before
        try:
            self._tap_powertools_logger()
            self._collect_logging()
            self._record_aws_requests()
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.drain()
        self._restore()

    def _restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _tap_powertools_logger(self) -> None:
        for handler in powertools_logger.handlers:
            if isinstance(handler, logging.StreamHandler):
                previous = handler.setStream(_CurrentStdout())
                self._undo.append(functools.partial(handler.setStream, previous))
        # DEBUG: whatever the service would log at its most verbose is scanned too.
        level = powertools_logger.log_level
        powertools_logger.setLevel(logging.DEBUG)
        self._undo.append(functools.partial(powertools_logger.setLevel, level))

    def _collect_logging(self) -> None:
        root = logging.getLogger()
        handler = _RecordCollector(self.channels["logging"])
        previous_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        self._undo.append(functools.partial(root.setLevel, previous_level))
        self._undo.append(functools.partial(root.removeHandler, handler))

    def _record_aws_requests(self) -> None:
        original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
        sink = self.channels["aws_requests"]

        def recorded(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            service = client._service_model.service_name
            sink.append(
                json.dumps({"service": service, "operation": operation_name, "params": api_params}, default=str)
            )
            return original(client, operation_name, api_params)

        botocore.client.BaseClient._make_api_call = recorded  # type: ignore[attr-defined]
        self._undo.append(functools.partial(setattr, botocore.client.BaseClient, "_make_api_call", original))

    # -- sending -----------------------------------------------------------------------------

    def call(self, function: str, event: dict[str, Any]) -> ApiResponse:
        """Invoke a function through its real `lambda_handler`."""
        response = call(function, event)
        self.calls += 1
        self.channels["responses"].append(json.dumps(response.raw, default=str))
        self.channels["responses"].append(json.dumps(response.headers))
        return response

    def drain(self) -> None:
        out, err = self.capfd.readouterr()
        if out:
            self.channels["stdout"].extend(out.splitlines())
        if err:
            self.channels["stderr"].extend(err.splitlines())

    # -- reading -----------------------------------------------------------------------------

    def stdout_documents(self) -> list[dict[str, Any]]:
        """The JSON lines on stdout (log records and EMF documents)."""
        self.drain()
        documents = []
        for line in self.channels["stdout"]:
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict):
                documents.append(document)
        return documents

    def count(self) -> tuple[int, int]:
        """(strings, characters) captured so far."""
        self.drain()
        strings = sum(len(texts) for texts in self.channels.values())
        characters = sum(len(text) for texts in self.channels.values() for text in texts)
        return strings, characters

    def findings(self, needles: Iterable[str]) -> list[Finding]:
        self.drain()
        return find_needles(((name, text) for name, texts in self.channels.items() for text in texts), needles)


def encoded_forms(needle: str) -> set[str]:
    """A needle as it could appear once escaped: raw, JSON, URL and form encoded, repr."""
    forms = {needle, json.dumps(needle)[1:-1], quote(needle, safe=""), quote_plus(needle), repr(needle)[1:-1]}
    return {form for form in forms if form}


def find_needles(texts: Iterable[tuple[str, str]], needles: Iterable[str]) -> list[Finding]:
    patterns = [(needle, form) for needle in set(needles) for form in encoded_forms(needle)]
    found: list[Finding] = []
    for channel, text in texts:
        for needle, form in patterns:
            at = text.find(form)
            if at >= 0:
                found.append(Finding(channel, needle, text[max(0, at - 80) : at + len(form) + 80]))
    return found


def needles_for(token: str, prefixes: Iterable[str]) -> set[str]:
    """The token, and its secret part once its type prefix is taken off."""
    needles = {token}
    for prefix in sorted(prefixes, key=len, reverse=True):
        if token.startswith(prefix):
            secret = token[len(prefix) :].lstrip("-")
            if len(secret) >= 8:
                needles.add(secret)
            break
    return needles


def walk_strings(value: Any) -> Iterator[str]:
    """Every string in a nested value: dict keys and values, list/set members, bytes decoded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes | bytearray):
        yield bytes(value).decode("latin-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(key)
            yield from walk_strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from walk_strings(item)
    elif hasattr(value, "value") and isinstance(value.value, bytes):  # boto3 Binary
        yield value.value.decode("latin-1")
