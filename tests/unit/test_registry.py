"""Prefix -> type, in matching order; raw comparison (docs/contract.md, "Token types")."""

from __future__ import annotations

from typing import Any

import pytest

from admin_token.config import Configuration
from admin_token.token_types import REGISTRY, match_token_type

DEFAULTS: dict[str, Any] = {"personal_access_token_prefix": {"default": "", "boolean_type": False}}


def configuration(prefix: str = "") -> Configuration:
    return Configuration({"personal_access_token_prefix": {"default": prefix, "boolean_type": False}})


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("gldt-abc", "deploy_token"),
        ("glft-abc", "feed_token"),
        ("glpat-abc", "personal_access_token"),
        ("gloas-abc", "oauth_application_secret"),
        ("gloasXYZ", "oauth_application_secret"),
        ("glagent-abc", "cluster_agent_token"),
        ("glrt-abc", "runner_authentication_token"),
        ("glptt-abc", "pipeline_trigger_token"),
        ("glcbt-abc", "ci_job_token"),
        ("glffct-abc", "feature_flags_client_token"),
        ("_gitlab_session=abc", "gitlab_session"),
        ("_gitlab_session=", "gitlab_session"),
        ("glimt-abc", "incoming_email_token"),
        ("glsoat-abc", "scim_access_token"),
    ],
)
def test_each_prefix_names_its_type(token: str, expected: str) -> None:
    matched = match_token_type(token, configuration())
    assert matched is not None
    assert matched.name == expected


@pytest.mark.parametrize(
    "token",
    [
        "",
        "GLPAT-abc",
        " glpat-abc",
        "glpat",
        "glrt",
        "gldt_abc",
        "_GITLAB_SESSION=x",
        "gitlab_session=x",
        "glsoat",
        "GLSOAT-abc",
        "glrtr-abc",  # GitLab's RunnerAuthenticationToken.prefix? matches glrt- only
    ],
)
def test_no_trimming_no_case_folding(token: str) -> None:
    assert match_token_type(token, configuration()) is None


def test_the_registry_is_in_gitlabs_matching_order() -> None:
    assert [token_type.name for token_type in REGISTRY] == [
        "deploy_token",
        "feed_token",
        "personal_access_token",
        "oauth_application_secret",
        "cluster_agent_token",
        "runner_authentication_token",
        "pipeline_trigger_token",
        "ci_job_token",
        "feature_flags_client_token",
        "gitlab_session",
        "incoming_email_token",
        "scim_access_token",  # an EE type: GitLab appends them after the others
    ]


def test_the_first_match_wins() -> None:
    # A custom prefix that is also a later type's prefix: personal access tokens come first.
    matched = match_token_type("glrt-abc", configuration(prefix="glrt-"))
    assert matched is not None
    assert matched.name == "personal_access_token"
    # ... and an earlier type still wins over it.
    earlier = match_token_type("gldt-abc", configuration(prefix="gldt-"))
    assert earlier is not None
    assert earlier.name == "deploy_token"


def test_a_custom_prefix_adds_to_glpat() -> None:
    custom = configuration(prefix="acme-")
    assert getattr(match_token_type("acme-abc", custom), "name", None) == "personal_access_token"
    assert getattr(match_token_type("glpat-abc", custom), "name", None) == "personal_access_token"
    assert match_token_type("acme-abc", configuration()) is None


def test_an_empty_custom_prefix_matches_nothing_extra() -> None:
    assert match_token_type("anything", configuration(prefix="")) is None


def test_type_names_are_unique() -> None:
    names = [token_type.name for token_type in REGISTRY]
    assert len(names) == len(set(names))
