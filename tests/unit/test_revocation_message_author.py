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
    bot, bot_class, _, bot_flag = QUEUE_AUTHORS["secret_detection"]
    github, github_class, context, github_flag = QUEUE_AUTHORS["github_secret_scanning"]
    assert (bot.id, bot.name, bot_class) == (-1, "GitLab Security Bot", "SecretDetection")
    assert (github.id, github.name, github_class) == (-2, "GitHub Secret Scanning", "GitHubSecretScanning")
    assert context["user_id"] == -2
    assert (bot_flag, github_flag) == ("secret_detection_auto_revoke", "github_secret_scanning_auto_revoke")
