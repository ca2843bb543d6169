"""Plaintext tokens of the demo seed (demo/seed.json), named by what they are for in a test, and what
the API answers about them."""

from __future__ import annotations

from typing import Any

ADMIN = "glpat-rootAdminTk2Vn8Qe5Lm3"  # root: active admin, scopes api + admin_mode
ADMIN_NO_ADMIN_MODE = "glpat-rootNoModeTk6Bx1Rw9Ha"  # root, scope api only
ADMIN_READ_API = "glpat-rootReadApiTk4Ys7Uf2"  # root, scope read_api only
ADMIN_EXPIRED = "glpat-rootExpiredTk8Kd3Pz5"
ADMIN_REVOKED = "glpat-rootRevokedTk1Jc6Mv8"
NON_ADMIN = "glpat-aliceLaptopTk3Nq7Xe1"  # alice: active, not an admin
BLOCKED_ADMIN = "glpat-blockedAdmTk9Lp4Ct6"

ALICE_PAT = NON_ADMIN
ALICE_IMPERSONATION = "glpat-aliceImpersTk5Wr2Gb8"
PROJECT_BOT_PAT = "glpat-projectBotTk6Hm1Sa3"
GROUP_BOT_PAT = "glpat-groupBotTk2Fk8Ju5"
ORPHAN_BOT_PAT = "glpat-orphanBotTk7Dq3Zn9"

PROJECT_DEPLOY = "gldt-projectDeployTk4Qz8"
GROUP_DEPLOY = "gldt-groupDeployTk6Mx2"
ORPHAN_DEPLOY = "gldt-orphanDeployTk9Rc5"  # neither project nor group; expired 2024-01-31

ALICE_FEED = "glft-aliceFeedTk5Rt1Kz8Jq"
ALICE_INCOMING_EMAIL = "glimt-aliceMailTk7Gf2Yc4"
OAUTH_SECRET = "gloas-grafanaSecretTk3Lw9Pb"
AGENT = "glagent-prodAgentTk5Hn2Vx8"
SHARED_RUNNER = "glrt-t1_sharedRunnerTk7Pd4Kw"
PROJECT_RUNNER = "glrt-t3_projectRunnerTk2Gs9Fy"  # runner 2, assigned to projects 10 and 11
GROUP_RUNNER = "glrt-t2_groupRunnerTk8Ub3Ne"
TRIGGER = "glptt-deployTriggerTk6Jd1a1b2"
RUNNING_JOB = "glcbt-runningJobTk4Wq7Ez"
FINISHED_JOB = "glcbt-finishedJobTk9Xa2Mc"
FLAGS_CLIENT = "glffct-projectFlagsTk5Tb8Ks"
ALICE_SESSION = "_gitlab_session=6919a6f1bb119dd7396fadc38fd18d0d"
INSTANCE_SCIM = "glsoat-instanceScimTk4Rb7Nw"  # the instance's SCIM token, organization 1
GROUP_SCIM = "glsoat-groupScimTk8Vd2Lq5Hy"  # group 20's SCIM token


# What a revoke of one token of each revocable kind answers:
# kind -> (token, type name, action, target, cascade)
REVOKE_ANSWERS: dict[str, tuple[str, str, str, dict[str, Any], list[dict[str, Any]]]] = {
    "personal access token": (ALICE_PAT, "personal_access_token", "revoked",
                              {"type": "personal_access_token", "id": 6}, []),
    "deploy token": (PROJECT_DEPLOY, "deploy_token", "revoked", {"type": "deploy_token", "id": 1}, []),
    "cluster agent token": (AGENT, "cluster_agent_token", "revoked", {"type": "cluster_agent_token", "id": 1}, []),
    "pipeline trigger": (TRIGGER, "pipeline_trigger_token", "expired", {"type": "pipeline_trigger", "id": 1}, []),
    "feed token": (ALICE_FEED, "feed_token", "reset", {"type": "user", "id": 2}, []),
    "incoming email token": (ALICE_INCOMING_EMAIL, "incoming_email_token", "reset", {"type": "user", "id": 2}, []),
    "OAuth application secret": (OAUTH_SECRET, "oauth_application_secret", "reset",
                                 {"type": "oauth_application", "id": 1}, []),
    "feature flags client token": (FLAGS_CLIENT, "feature_flags_client_token", "reset",
                                   {"type": "feature_flags_client", "id": 1}, []),
    "runner authentication token": (PROJECT_RUNNER, "runner_authentication_token", "deleted",
                                    {"type": "runner", "id": 2},
                                    [{"type": "runner_project", "id": 10}, {"type": "runner_project", "id": 11}]),
    "session": (ALICE_SESSION, "gitlab_session", "deleted", {"type": "session", "id": 2}, []),
    "instance SCIM token": (INSTANCE_SCIM, "scim_access_token", "reset",
                            {"type": "scim_oauth_access_token", "id": 1}, []),
    "group SCIM token": (GROUP_SCIM, "scim_access_token", "reset",
                         {"type": "group_scim_auth_access_token", "id": 1}, []),
}  # fmt: skip
# Kinds whose old value stops existing: a tombstone remembers them.
FORGOTTEN = {kind for kind, (_, _, action, _, _) in REVOKE_ANSWERS.items() if action in ("reset", "deleted")}


def revocable(racers: int) -> dict[str, tuple[str, dict[int, int]]]:
    """One token of each revocable kind, and the statuses `racers` concurrent revokes of it get:
    revoke-in-place kinds answer 204 every time; for kinds whose old value stops existing, the
    losers find nothing (404)."""
    in_place = {"personal access token": ALICE_PAT, "project access token": PROJECT_BOT_PAT,
                "deploy token": PROJECT_DEPLOY, "cluster agent token": AGENT, "pipeline trigger": TRIGGER}  # fmt: skip
    forgotten = {"feed token": ALICE_FEED, "incoming email token": ALICE_INCOMING_EMAIL,
                 "OAuth application secret": OAUTH_SECRET, "feature flags client token": FLAGS_CLIENT,
                 "runner authentication token": PROJECT_RUNNER, "session": ALICE_SESSION,
                 "instance SCIM token": INSTANCE_SCIM, "group SCIM token": GROUP_SCIM}  # fmt: skip
    return {
        **{kind: (token, {204: racers}) for kind, token in in_place.items()},
        **{kind: (token, {204: 1, 404: racers - 1}) for kind, token in forgotten.items()},
    }


# What a lookup of ALICE_PAT answers: the personal access token entity of the seed's record.
ALICE_PAT_ENTITY: dict[str, Any] = {
    "id": 6,
    "name": "alice-laptop",
    "description": "Alice's laptop",
    "revoked": False,
    "created_at": "2024-02-02T10:00:00.000Z",
    "scopes": ["api", "read_repository"],
    "user_id": 2,
    "last_used_at": "2024-05-01T12:34:56.000Z",
    "active": True,
    "expires_at": "2099-12-31",
    "impersonation": False,
}
