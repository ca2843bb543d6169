"""Plaintext tokens of the demo seed (demo/seed.json), named by what they are for in a test."""

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
