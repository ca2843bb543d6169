"""Capture everything the functions emit, and look for plaintext tokens in it.

Channels, each a list of strings:

- ``stdout`` / ``stderr``: what the process writes, read through pytest's ``capfd``. The
  Powertools logger writes JSON lines to stdout and Metrics prints its EMF documents there.
  The logger's handler holds the stream it was built with, and under pytest that is pytest's
  own global capture stream, which neither ``capsys`` nor ``capfd`` sees. So while a capture
  is open, the handler writes to the current ``sys.stdout``, as it would on Lambda.
- ``logging``: every record any stdlib logger emits at DEBUG and above (Powertools'
  internals, the Tracer's own ``logger.exception``, botocore, ...), formatted with its
  traceback, plus the record's attributes (``extra`` fields included).
- ``traces``: what the X-Ray SDK would send to the daemon. Tests run with the tracer disabled
  (POWERTOOLS_TRACE_DISABLED), so a capture enables the SDK, replaces the recorder's emitter
  with one that keeps each serialized segment, samples every request, and patches botocore
  and http.client as the Tracer's auto-patching (patch_all) would. Each call is wrapped in a segment
  (Lambda's facade segment), so the handler's and methods' subsegments, their annotations,
  metadata and exceptions, and the AWS calls' metadata are all recorded.
- ``aws_requests``: the operation and parameters of every AWS SDK call made (what reaches
  DynamoDB and AppConfig).
- ``responses``: every proxy response, status, headers and body.

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
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.ext.botocore.patch import _xray_traced_botocore
from aws_xray_sdk.ext.httplib import patch as patch_httplib
from aws_xray_sdk.ext.httplib import unpatch as unpatch_httplib
from aws_xray_sdk.sdk_config import SDKConfig

from admin_token.observability import logger as powertools_logger
from admin_token.observability import tracer
from tests.integration.conftest import ApiResponse, call

__all__ = ["Capture", "Finding", "find_needles", "needles_for", "walk_strings"]


class _CapturingEmitter:
    """Stands in for the UDP emitter: keeps what would go to the X-Ray daemon."""

    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def send_entity(self, entity: Any) -> None:
        self.sink.append(entity.serialize())

    def set_daemon_address(self, address: str) -> None:  # the recorder's emitter interface
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


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
        default_factory=lambda: {
            name: [] for name in ("stdout", "stderr", "logging", "traces", "aws_requests", "responses")
        }
    )
    calls: int = 0
    _undo: list[Any] = field(default_factory=list)

    # -- opening and closing ---------------------------------------------------------------

    def __enter__(self) -> Capture:
        self.capfd.readouterr()  # drop what came before
        try:
            self._tap_powertools_logger()
            self._collect_logging()
            self._enable_tracing()
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

    def _enable_tracing(self) -> None:
        recorder = xray_recorder
        saved = (recorder.emitter, recorder.sampling, recorder.context)
        was_enabled = SDKConfig.sdk_enabled()

        def restore_recorder() -> None:
            recorder.emitter, recorder.sampling, recorder.context = saved
            SDKConfig.set_sdk_enabled(was_enabled)

        self._undo.append(restore_recorder)
        SDKConfig.set_sdk_enabled(True)
        recorder.emitter = _CapturingEmitter(self.channels["traces"])
        recorder.sampling = False  # no sampling rules: every segment is recorded
        recorder.context = Context(context_missing="LOG_ERROR")
        if tracer.provider is not recorder:
            raise AssertionError("the Tracer's provider is not the X-Ray recorder: capture it another way")
        disabled = tracer.disabled
        tracer.disabled = False
        self._undo.append(functools.partial(setattr, tracer, "disabled", disabled))

        # What the Tracer's auto-patching does (patch_all), reversibly: botocore and http.client.
        original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
        sink = self.channels["aws_requests"]

        def traced(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            service = client._service_model.service_name
            sink.append(
                json.dumps({"service": service, "operation": operation_name, "params": api_params}, default=str)
            )
            bound = functools.partial(original, client)
            return _xray_traced_botocore(bound, client, (operation_name, api_params), {})

        botocore.client.BaseClient._make_api_call = traced  # type: ignore[attr-defined]
        self._undo.append(functools.partial(setattr, botocore.client.BaseClient, "_make_api_call", original))

        from aws_xray_sdk.core.patcher import _PATCHED_MODULES

        if "httplib" not in _PATCHED_MODULES:
            patch_httplib()
            _PATCHED_MODULES.add("httplib")
            self._undo.append(unpatch_httplib)

    # -- sending -----------------------------------------------------------------------------

    def call(self, function: str, event: dict[str, Any]) -> ApiResponse:
        """Invoke a function inside a sampled segment, as Lambda's facade segment would hold it."""
        xray_recorder.begin_segment(name="admin-token-api", sampling=1)
        try:
            response = call(function, event)
        finally:
            xray_recorder.end_segment()
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
