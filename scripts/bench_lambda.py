"""One measured Lambda execution environment, in a fresh process (run by scripts/bench.py).

Standard library only: it runs under the runtime's interpreter (python3.13 with boto3, as
Lambda's runtime provides), with the function's code directory and the layer first on
PYTHONPATH, read-only, and the function's environment as Lambda sets it.

    floor    `import boto3; boto3.client("dynamodb")`, its CPU and peak memory: what every
             figure is divided by
    record   the function against the local backends (moto's DynamoDB, the AppConfig stand-in):
             every botocore call's parameters and every HTTP response's bytes, written to a file
    measure  init (the handler module's import), the first request, then warm requests paired
             with the raw botocore calls they make, all answered from the recording: no network,
             no moto in anything timed; VmHWM at the end

Every figure is CPU time (`time.process_time`: this process, every thread), so a noisy machine
slows a run without changing what it costs.
"""

from __future__ import annotations

import base64
import importlib
import json
import sys
import threading
import time
import uuid
from typing import Any

WARMUP_REQUESTS = 5


class LambdaContext:
    """What handlers and Powertools read of the runtime's context object."""

    def __init__(self, function_name: str, memory_mb: int, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/01/01/[$LATEST]bench"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def peak_rss_mib() -> float:
    """This process's high-water mark of resident memory (what Lambda reports as Max Memory Used)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _key(request: Any) -> str:
    """What identifies a call whatever the endpoint: method, path, and the JSON protocols' target."""
    from urllib.parse import urlsplit

    target = request.headers.get("X-Amz-Target", b"")
    if isinstance(target, bytes):
        target = target.decode()
    return f"{request.method} {urlsplit(request.url).path} {target}"


def _response(url: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    import io

    from botocore.awsrequest import AWSResponse
    from urllib3.response import HTTPResponse

    raw = HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, preload_content=False)
    return AWSResponse(url, status, headers, raw)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, set):
        return {"__set__": [_encode(item) for item in value]}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        if set(value) == {"__set__"}:
            return {_decode(item) for item in value["__set__"]}
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


class Recorder:
    """Lets every call through to the local backends; keeps its parameters and response bytes."""

    def __init__(self) -> None:
        import botocore.client
        import botocore.httpsession

        self.calls: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        send, make_api_call = botocore.httpsession.URLLib3Session.send, botocore.client.BaseClient._make_api_call
        recorder = self

        def recording_send(session: Any, request: Any) -> Any:
            response = send(session, request)
            body = response.content
            with recorder._lock:
                recorder.responses.append(
                    {
                        "key": _key(request),
                        "status": response.status_code,
                        "headers": dict(response.headers),
                        "body": base64.b64encode(body).decode(),
                    }
                )
            return _response(request.url, response.status_code, dict(response.headers), body)

        def recording_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            with recorder._lock:
                service = client.meta.service_model.service_name
                recorder.calls.append({"service": service, "operation": operation_name, "params": _encode(api_params)})
            return make_api_call(client, operation_name, api_params)

        botocore.httpsession.URLLib3Session.send = recording_send  # type: ignore[method-assign]
        botocore.client.BaseClient._make_api_call = recording_call  # type: ignore[method-assign]

    def take(self) -> dict[str, Any]:
        with self._lock:
            taken = {"calls": self.calls, "responses": self.responses}
            self.calls, self.responses = [], []
        return taken


class Replay:
    """Answers every HTTP request from the recording: per call (method, path, target), the
    recorded responses in the order they came, round and round. Nothing leaves the process."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        import botocore.httpsession

        self._cycles: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        for response in recorded:
            self._cycles.setdefault(response["key"], []).append(
                (response["status"], response["headers"], base64.b64decode(response["body"]))
            )
        self._next = dict.fromkeys(self._cycles, 0)
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        replay = self

        def replayed_send(session: Any, request: Any) -> Any:
            key = _key(request)
            with replay._lock:
                cycle = replay._cycles.get(key)
                if cycle is None:
                    raise RuntimeError(f"no recorded response for {key}")
                position = replay._next[key]
                replay._next[key] = (position + 1) % len(cycle)
                replay.counts[key] = replay.counts.get(key, 0) + 1
            status, headers, body = cycle[position]
            return _response(request.url, status, headers, body)

        botocore.httpsession.URLLib3Session.send = replayed_send  # type: ignore[method-assign]

    def dynamodb_calls(self) -> int:
        return sum(count for key, count in self.counts.items() if "DynamoDB_" in key)


def _load_handler(module_name: str, function_name: str) -> Any:
    # As Lambda's bootstrap does: the task root is first on sys.path, the handler module imported by name.
    return getattr(importlib.import_module(module_name), function_name)


def _check(response: Any, expect: dict[str, Any]) -> None:
    if "statusCode" in expect and (
        not isinstance(response, dict) or response.get("statusCode") != expect["statusCode"]
    ):
        raise AssertionError(f"expected status {expect['statusCode']}, got {str(response)[:400]}")
    if "batchItemFailures" in expect and response.get("batchItemFailures") != expect["batchItemFailures"]:
        raise AssertionError(f"expected batchItemFailures {expect['batchItemFailures']}, got {response}")


def floor() -> dict[str, Any]:
    started = time.process_time()
    import boto3

    boto3.client("dynamodb")
    return {"floor": time.process_time() - started, "peak_mib": peak_rss_mib()}


def record(spec: dict[str, Any]) -> dict[str, Any]:
    handler = _load_handler(spec["module"], spec["handler"])
    recorder = Recorder()
    recorded = []
    for _ in range(2):  # the first request (configuration read), then a warm one
        response = handler(spec["event"], LambdaContext(**spec["context"]))
        _check(response, spec["expect"])
        recorded.append(recorder.take())
        if not spec.get("repeatable", True):
            break  # a real revoke: the second request would find the token gone
    return {"requests": recorded}


def measure(spec: dict[str, Any], recording: dict[str, Any]) -> dict[str, Any]:
    started = time.process_time()
    handler = _load_handler(spec["module"], spec["handler"])
    init = time.process_time() - started

    # What the figures rest on: no X-Ray SDK wrapped botocore's calls (the functions carry none;
    # Lambda traces them from outside), and init had already imported botocore's HTTP layer
    # (so replacing it costs the first request nothing).
    diagnostics = {
        # (botocore's own `with_current_context` sets __wrapped__: look for the SDK, not for that.)
        "xray_sdk_imported": "aws_xray_sdk" in sys.modules,
        "http_layer_imported_by_init": "botocore.httpsession" in sys.modules,
    }

    first_request, *others = recording["requests"]
    # Every response the function was sent: a warm request's calls are the first one's without
    # the configuration read (cached for APPCONFIG_MAX_AGE_SECONDS).
    replay = Replay([response for request in recording["requests"] for response in request["responses"]])
    event, context = spec["event"], spec["context"]

    started = time.process_time()
    response = handler(event, LambdaContext(**context))
    first = time.process_time() - started
    _check(response, spec["expect"])

    for _ in range(WARMUP_REQUESTS):
        _check(handler(event, LambdaContext(**context)), spec["expect"])
    replay.counts.clear()
    _check(handler(event, LambdaContext(**context)), spec["expect"])
    dynamodb_calls = replay.dynamodb_calls()

    warm_calls = (others[0] if others else first_request)["calls"]
    warm_calls = [call for call in warm_calls if call["service"] != "appconfigdata"]
    raw = _raw_calls(warm_calls)
    for _ in range(WARMUP_REQUESTS):
        raw()

    ratios, handler_cpu, raw_cpu = [], [], []
    per_block = spec["requests_per_block"]
    contexts = [LambdaContext(**context) for _ in range(per_block)]
    for pair in range(spec["pairs"]):
        # Alternate which half goes first, so neither always inherits the other's cache state.
        order = ("handler", "raw") if pair % 2 == 0 else ("raw", "handler")
        figures = {}
        for half in order:
            started = time.process_time()
            if half == "handler":
                for each in contexts:
                    response = handler(event, each)
            else:
                for _ in range(per_block):
                    raw()
            figures[half] = (time.process_time() - started) / per_block
        _check(response, spec["expect"])
        ratios.append(figures["handler"] / figures["raw"])
        handler_cpu.append(figures["handler"])
        raw_cpu.append(figures["raw"])
    return {
        "init": init,
        "first": first,
        "warm_ratios": ratios,
        "handler_cpu": handler_cpu,
        "raw_cpu": raw_cpu,
        "dynamodb_calls": dynamodb_calls,
        "raw_calls": len(warm_calls),
        "peak_mib": peak_rss_mib(),
        **diagnostics,
    }


def _raw_calls(calls: list[dict[str, Any]]) -> Any:
    """The recorded calls made straight through botocore (no tracing wrapper): the warm floor."""
    import boto3
    from botocore.client import BaseClient

    make_api_call = BaseClient._make_api_call  # botocore's, as the function calls it (no X-Ray SDK wraps it)
    clients = {service: boto3.client(service) for service in {call["service"] for call in calls}}
    prepared = [(clients[call["service"]], call["operation"], _decode(call["params"])) for call in calls]

    def raw() -> None:
        for client, operation, params in prepared:
            make_api_call(client, operation, params)

    return raw


def main() -> None:
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "floor":
        result = floor()
    else:
        with open(sys.argv[3], encoding="utf-8") as stream:
            spec = json.load(stream)
        if mode == "record":
            result = record(spec)
        else:
            with open(sys.argv[4], encoding="utf-8") as stream:
                recording = json.load(stream)
            result = measure(spec, recording)
    with open(out, "w", encoding="utf-8") as stream:
        json.dump(result, stream)


if __name__ == "__main__":
    main()
