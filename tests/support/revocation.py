"""GitLab's Token Revocation API against moto: the queue, its dead-letter queue, the secret.

`RevocationApi` sends what GitLab's `Security::TokenRevocationService` sends (a bare
`Authorization` header; a JSON array of `{type, token, location, vulnerability}`), and plays the
event source mapping to run the worker.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from admin_token.revocation_queue import reset_queue_client
from admin_token.secret_detection import reset_secret_cache
from admin_token_local.lambda_runtime import FakeLambdaContext
from admin_token_local.secrets_local import create_secrets
from admin_token_local.sqs_local import create_queues, sqs_client
from admin_token_local.sqs_poller import poll_once
from tests.conftest import TEMPLATE
from tests.support import demo
from tests.support.events import proxy_event

TYPES_PATH = "/v1/revocable_token_types"
FINDINGS_PATH = "/v1/revoke_tokens"
RULE = "gitleaks_rule_id_"


def finding(token: str, rule: str, location: str = "") -> dict[str, Any]:
    """One finding as GitLab's ScanSecurityReportSecretsWorker builds it."""
    return {
        "type": RULE + rule,
        "token": token,
        "location": location,
        "vulnerability": {"name": "Leaked token", "severity": "critical", "report_type": "secret_detection"},
    }


class RevocationApi:
    def __init__(self, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
        urls = create_queues(endpoint, TEMPLATE, prefix=f"t{uuid.uuid4().hex[:10]}-")
        self.queue_url, self.dlq_url = urls["RevocationQueue"], urls["RevocationDeadLetterQueue"]
        self.token = create_secrets(endpoint, TEMPLATE)["RevocationTokenSecret"]
        for name, value in {
            "AWS_ENDPOINT_URL_SQS": endpoint,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
            "REVOCATION_QUEUE_URL": self.queue_url,
            "REVOCATION_TOKEN_SECRET_ARN": "RevocationTokenSecret",
        }.items():
            monkeypatch.setenv(name, value)
        reset_queue_client()
        reset_secret_cache()
        self.sqs = sqs_client(endpoint)

    def call(self, method: str, path: str, *, body: Any = None, raw_body: str | None = None,
             authorization: str | None = "", headers: dict[str, str] | None = None) -> Any:  # fmt: skip
        from tests.integration.conftest import call

        sent = dict(headers or {})
        if authorization is not None:
            sent["Authorization"] = authorization or self.token
        event = proxy_event(method, body=body, raw_body=raw_body, headers=sent)
        event["path"] = event["resource"] = path
        event["requestContext"]["resourcePath"] = path
        return call("IntakeFunction", event)

    def types(self, **kwargs: Any) -> Any:
        return self.call("GET", TYPES_PATH, **kwargs)

    def revoke(self, findings: Any, **kwargs: Any) -> Any:
        return self.call("POST", FINDINGS_PATH, body=findings, **kwargs)

    def queued(self, url: str | None = None) -> list[dict[str, Any]]:
        """Every message in the queue (made visible again at once), as bodies."""
        bodies: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url or self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            for message in messages:  # every one received visible again, seen before or not
                self.sqs.change_message_visibility(
                    QueueUrl=url or self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            if not fresh:
                return bodies
            for message in fresh:
                seen.add(message["MessageId"])
                bodies.append(json.loads(message["Body"]))

    def send_raw(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def run_worker(self, event: dict[str, Any]) -> dict[str, Any]:
        from functions.revocation_worker.app import lambda_handler

        result: dict[str, Any] = lambda_handler(event, FakeLambdaContext("RevocationWorkerFunction", 512, 30))
        return result

    def drain(self, *, rounds: int = 20) -> int:
        """Poll as the event source mapping does (failures visible again at once) until empty."""
        total = 0
        for _ in range(rounds):
            received = poll_once(self.sqs, self.queue_url, self.run_worker, failed_visibility=0)
            if not received:
                break
            total += received
        return total


def leak() -> list[dict[str, Any]]:
    """A pipeline's findings: a runner, a feed token, a personal access token, a deploy token."""
    return [
        finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token", "https://gitlab.example.com/g/p/-/blob/a1/.env#L3"),
        finding(demo.ALICE_FEED, "gitlab_feed_token_v2"),
        finding(demo.ALICE_IMPERSONATION, "gitlab_personal_access_token", "config/ci.yml:7"),
        finding(demo.PROJECT_DEPLOY, "gitlab_deploy_token"),
    ]
