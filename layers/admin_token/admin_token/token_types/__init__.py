"""The registry: every token type, in GitLab's matching order. The first match wins.

Adding a type is one module and one line here.
"""

from __future__ import annotations

from typing import Any

from admin_token.config import Configuration
from admin_token.token_types.base import TokenType
from admin_token.token_types.ci_job_token import CiJobTokenType
from admin_token.token_types.cluster_agent_token import ClusterAgentTokenType
from admin_token.token_types.deploy_token import DeployTokenType
from admin_token.token_types.feature_flags_client_token import FeatureFlagsClientTokenType
from admin_token.token_types.feed_token import FeedTokenType
from admin_token.token_types.gitlab_session import GitLabSessionType
from admin_token.token_types.incoming_email_token import IncomingEmailTokenType
from admin_token.token_types.oauth_application_secret import OAuthApplicationSecretType
from admin_token.token_types.personal_access_token import PersonalAccessTokenType
from admin_token.token_types.pipeline_trigger_token import PipelineTriggerTokenType
from admin_token.token_types.runner_authentication_token import RunnerAuthenticationTokenType
from admin_token.token_types.scim_access_token import ScimAccessTokenType

REGISTRY: tuple[TokenType[Any], ...] = (
    DeployTokenType(),
    FeedTokenType(),
    PersonalAccessTokenType(),
    OAuthApplicationSecretType(),
    ClusterAgentTokenType(),
    RunnerAuthenticationTokenType(),
    PipelineTriggerTokenType(),
    CiJobTokenType(),
    FeatureFlagsClientTokenType(),
    GitLabSessionType(),
    IncomingEmailTokenType(),
    # GitLab's EE types come after all of the others.
    ScimAccessTokenType(),
)

BY_NAME: dict[str, TokenType[Any]] = {token_type.name: token_type for token_type in REGISTRY}
# Every built-in prefix, in matching order. A custom personal access token prefix is an
# instance's setting (Configuration), so it is not among them.
PREFIXES: tuple[str, ...] = tuple(prefix for token_type in REGISTRY for prefix in token_type.prefixes)


def match_token_type(token: str, configuration: Configuration) -> TokenType[Any] | None:
    """Prefixes compare on the raw string: no trimming, no case folding."""
    return next((token_type for token_type in REGISTRY if token_type.matches(token, configuration)), None)
