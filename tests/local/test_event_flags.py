"""events/revoke-flag-off.json needs its flags file: with it, the revoke is refused as documented."""

from __future__ import annotations

import json
import subprocess

from admin_token_local.template import feature_flags_document, load_template
from tests.local.conftest import REAL_TEMPLATE, REPO_ROOT
from tests.local.serving import COMMAND

FLAGS_FILE = REPO_ROOT / "events" / "flags" / "revoke-off.json"


def test_the_flag_off_event_with_its_flags_file_is_refused() -> None:
    # The command the README gives, from the repository root.
    result = subprocess.run(
        [str(COMMAND), "invoke", "RevokeFunction", "--event", "events/revoke-flag-off.json",
         "--feature-flags", "events/flags/revoke-off.json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    response = json.loads(result.stdout)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "'api_admin_token_revoke' feature flag is disabled"}


def test_the_flags_file_is_the_deployed_document_with_revoke_off() -> None:
    deployed = feature_flags_document(load_template(REAL_TEMPLATE))
    assert json.loads(FLAGS_FILE.read_text()) == {**deployed, "api_admin_token_revoke": {"default": False}}
