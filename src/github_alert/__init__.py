"""Send a secret scanning alert as GitHub does (`github_alert.client`), for `admin-token-api github-alert`.

This module holds only the defaults the command line shows, so building its help imports no crypto.
"""

from pathlib import Path
from typing import Final

ALERT_PATH: Final = "/v1/github/secret_scanning"
# Where `serve` writes the private key of the key document its GitHub meta stand-in publishes.
LOCAL_KEY_FILE: Final = Path(".admin-token-api") / "github-secret-scanning-key.pem"
DEFAULT_URL: Final = "http://127.0.0.1:3000"  # `make run`'s
