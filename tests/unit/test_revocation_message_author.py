"""A queued message names who found the token, so the worker revokes it as them."""

from __future__ import annotations

import json

import pytest

from admin_token.revocation_queue import InvalidMessage, RevocationMessage
from admin_token.secret_detection import QUEUE_AUTHORS

DIGEST = "a" * 64
TYPES = ["personal_access_token"]


def test_secret_detections_messages_are_unchanged_and_githubs_name_their_author() -> None:
    detection = RevocationMessage(DIGEST, "personal_access_token", None)
    github = RevocationMessage(DIGEST, "personal_access_token", "https://github.com/o/r", "github_secret_scanning")
    assert json.loads(detection.body()) == {"digest": DIGEST, "token_type": "personal_access_token", "location": None}
    assert json.loads(github.body())["author"] == "github_secret_scanning"
    assert RevocationMessage.parse(detection.body(), TYPES) == detection
    assert RevocationMessage.parse(github.body(), TYPES) == github


@pytest.mark.parametrize("author", ["someone_else", "", None, 1, ["github_secret_scanning"]])
def test_an_unknown_author_is_an_invalid_message(author: object) -> None:
    body = json.dumps({"digest": DIGEST, "token_type": "personal_access_token", "location": None, "author": author})
    with pytest.raises(InvalidMessage, match="author"):
        RevocationMessage.parse(body, TYPES)


def test_each_author_revokes_as_its_own_user_and_class_behind_its_own_kill_switch() -> None:
    detection, github = QUEUE_AUTHORS["secret_detection"], QUEUE_AUTHORS["github_secret_scanning"]
    bot = detection.of("message-1", None)
    scanning = github.of("message-2", "https://github.com/o/r")
    assert (bot.user.id, bot.user.name, bot.author_class) == (-1, "GitLab Security Bot", "SecretDetection")
    assert (scanning.user.id, scanning.user.name) == (-2, "GitHub Secret Scanning")
    assert scanning.author_class == "GitHubSecretScanning"
    assert (bot.request_id, bot.location) == ("message-1", None)
    assert (scanning.request_id, scanning.location) == ("message-2", "https://github.com/o/r")
    assert github.caller["user_id"] == -2
    assert (detection.kill_switch, github.kill_switch) == (
        "secret_detection_auto_revoke",
        "github_secret_scanning_auto_revoke",
    )
