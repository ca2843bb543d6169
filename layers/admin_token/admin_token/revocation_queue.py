"""The revocation queue: what a queued message holds, and queuing many durably.

A message is a finding as the worker needs it: the token's SHA-256 digest, the type its prefix
matched, and where it was found. Never the plaintext: the queue, its dead-letter queue and every
consumer only ever see the digest the tables are keyed on.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from admin_token import budget
from admin_token.errors import QueueUnavailable
from admin_token.json_body import InvalidJson, RepeatedKey, parse_json_object
from admin_token.models.frozen import Frozen
from admin_token.observability import logger, metrics
from admin_token.restore import kept_client

QUEUE_URL_VARIABLE: Final = "REVOCATION_QUEUE_URL"
MESSAGES_PER_BATCH: Final = 10  # SendMessageBatch's limit
# A batch whose entries keep failing is sent again this many times in all, with backoff, and
# only while the request's time budget allows; then the request answers 503.
MAX_SEND_ATTEMPTS: Final = 4
BACKOFF_BASE_SECONDS: Final = 0.05
READ_TIMEOUT_SECONDS: Final = 2
# Batches in flight at once: 10,000 findings are 1,000 calls, which one at a time would not fit
# in API Gateway's 29 s.
PARALLEL_SENDS: Final = 16
MAX_LOCATION_CHARS: Final = 1024
_DIGEST = re.compile(r"[0-9a-f]{64}")


class InvalidMessage(ValueError):
    """A queued body that is not a revocation message (fixed text: never echoes the body)."""


# Who found the token, so the worker revokes it as them. A message without `author` is secret
# detection's: messages queued before GitHub's alerts existed read as they were meant.
SECRET_DETECTION_AUTHOR: Final = "secret_detection"
GITHUB_SECRET_SCANNING_AUTHOR: Final = "github_secret_scanning"
AUTHORS: Final = (SECRET_DETECTION_AUTHOR, GITHUB_SECRET_SCANNING_AUTHOR)


class RevocationMessage(Frozen, kw_only=False):
    digest: str
    token_type: str
    location: str | None
    author: str = SECRET_DETECTION_AUTHOR

    def body(self) -> str:
        fields = {"digest": self.digest, "token_type": self.token_type, "location": self.location}
        if self.author != SECRET_DETECTION_AUTHOR:
            fields["author"] = self.author
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def parse(cls, body: str, known_types: Sequence[str]) -> RevocationMessage:
        try:
            document = parse_json_object(body)
        except RepeatedKey as error:
            # The same rules as a request body's: a repeated key is refused, not read as its last value.
            raise InvalidMessage(f"message body: {error}") from None
        except InvalidJson:
            raise InvalidMessage("message body is not a JSON object") from None
        digest, token_type, location = document.get("digest"), document.get("token_type"), document.get("location")
        author = document.get("author", SECRET_DETECTION_AUTHOR)
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise InvalidMessage("digest is not a SHA-256 hex digest")
        if token_type not in known_types:
            raise InvalidMessage("token_type is not a revocable type")
        if location is not None and not isinstance(location, str):
            raise InvalidMessage("location is not a string")
        if author not in AUTHORS:
            raise InvalidMessage("author is not one of the queue's authors")
        return cls(digest, str(token_type), location, str(author))


@kept_client
def _client() -> Any:
    # Built on first use (or for a snapshot). Our own retries decide, not botocore's.
    import boto3

    return boto3.client(
        "sqs",
        config=Config(
            connect_timeout=1, read_timeout=READ_TIMEOUT_SECONDS, retries={"mode": "standard", "total_max_attempts": 1}
        ),
    )


def reset_queue_client() -> None:
    """Forget the client (tests that point the SDK at another endpoint)."""
    _client.cache_clear()


def send_all(messages: Sequence[RevocationMessage], *, client: Any = None) -> None:
    """Queue every message, 10 per call, or raise `QueueUnavailable`.

    Returning means each one is in the queue (SQS stores a message durably before it answers).
    Entries a call reports as failed are sent again, alone, with backoff.
    """
    client = client or _client()
    queue_url = os.environ[QUEUE_URL_VARIABLE]
    batches = [messages[start : start + MESSAGES_PER_BATCH] for start in range(0, len(messages), MESSAGES_PER_BATCH)]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_SENDS, max(1, len(batches)))) as pool:
        # Each send runs in a copy of this context: the request's time budget lives in a ContextVar.
        futures = [
            pool.submit(contextvars.copy_context().run, _send_batch, client, queue_url, batch) for batch in batches
        ]
        unsent = sum(future.result() for future in futures)
    metrics.add_metric(name="FindingsQueued", unit=MetricUnit.Count, value=len(messages) - unsent)
    if unsent:
        metrics.add_metric(name="FindingsNotQueued", unit=MetricUnit.Count, value=unsent)
        logger.error("Findings not queued", extra={"unsent": unsent, "findings": len(messages)})
        raise QueueUnavailable


def _send_batch(client: Any, queue_url: str, batch: Sequence[RevocationMessage]) -> int:
    """How many of the batch are still unsent after every attempt."""
    pending = {str(index): message for index, message in enumerate(batch)}
    for attempt in range(MAX_SEND_ATTEMPTS):
        if attempt and not budget.pause_before_retry(attempt, BACKOFF_BASE_SECONDS, then_seconds=READ_TIMEOUT_SECONDS):
            break
        entries = [{"Id": entry_id, "MessageBody": message.body()} for entry_id, message in pending.items()]
        try:
            response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except (BotoCoreError, ClientError) as error:
            logger.warning("SendMessageBatch failed", extra={"error_type": type(error).__name__, "attempt": attempt})
            continue
        for sent in response.get("Successful", []):
            pending.pop(sent["Id"], None)
        if not pending:
            return 0
        logger.warning("SendMessageBatch partly failed", extra={"failed": len(pending), "attempt": attempt})
    return len(pending)
