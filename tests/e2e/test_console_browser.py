"""The incident console in a real headless Chromium (Debian's, `make browser`) against `serve`,
used as a person would: sign in, paste, drop each report format, dry run, revoke, read the trail.

One browser and one page for the module; the tests are its steps, in order, each building on the
one before (as a person's session does). After every step, the administrator's token and every
plaintext token the page was given must be nowhere but its memory: not in storage, cookies, the
URL, the console or the page's text, and every request went to this origin with tokens only. Each
step saves a screenshot under build/console-screenshots/.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Dialog, FilePayload, Page, Request, Route, expect, sync_playwright

from admin_token_client.scanner_reports import read_report
from tests.e2e.conftest import REPO_ROOT, ServeProcess, Server, plaintexts_in, start_serve
from tests.support import demo
from tests.support.plaintexts import DEMO_SEED, seed_plaintexts

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "build" / "console-screenshots"
EXAMPLES = REPO_ROOT / "examples"
REPORTS = ["gitleaks.json", "trufflehog.jsonl", "gl-secret-detection-report.json"]
XSS_NAME = "<img src=x onerror=alert(1)>.env"
PASTED = (
    "# .env left in a chat\n"
    f"FEED_TOKEN={demo.ALICE_FEED}\n"
    f"AGENT={demo.AGENT} (and again: {demo.AGENT})\n"
    f"job token {demo.RUNNING_JOB}.\n"
    "no token here: glpat- alone, xglpat-notthis\n"
)
TIMEOUT_MS = 60_000  # serve shares two cores with the rest of the suite


@dataclass
class Session:
    """The browser page and what it did: console lines, page errors, dialogs, requests."""

    page: Page
    context: BrowserContext
    server: Server
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    given: set[str] = field(default_factory=set)  # every plaintext token the page was given
    step: int = 0


@pytest.fixture(scope="module")
def serving() -> Iterator[ServeProcess]:
    """A `serve` of this module's own: its revokes change the demo data."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (Debian's chromium package)")
    serving = start_serve("--seed", str(DEMO_SEED), banner_lines=0)
    yield serving
    serving.stop()
    assert plaintexts_in(serving.output_after_banner(), seed_plaintexts()) == []


@pytest.fixture(scope="module")
def session(serving: ServeProcess) -> Iterator[Session]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        # A new, empty profile: nothing from an earlier run (storage, cookies, cache) is there.
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        state = Session(page, context, serving.server)
        page.on("console", lambda message: state.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: state.errors.append(str(error)))

        def on_dialog(dialog: Dialog) -> None:
            state.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        def on_request(request: Request) -> None:
            state.requests.append((request.method, request.url, request.post_data))

        page.on("request", on_request)
        page.goto(serving.server.url + "/console")
        yield state
        context.close()


@pytest.fixture(autouse=True)
def _nothing_kept_after_each_step(session: Session, request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    session.step += 1
    name = request.node.name.removeprefix("test_")[:60]
    # The whole page, unless a long table makes it too tall to be worth the time.
    whole = session.page.evaluate("document.documentElement.scrollHeight") < 8000
    session.page.screenshot(path=str(SCREENSHOTS / f"{session.step:02d}-{name}.png"), full_page=whole)
    secrets = {demo.ADMIN, *session.given}
    kept = session.page.evaluate(
        """async () => ({
            local: JSON.stringify(Object.entries(localStorage)),
            session: JSON.stringify(Object.entries(sessionStorage)),
            cookie: document.cookie,
            url: location.href,
            databases: JSON.stringify(await indexedDB.databases()),
            text: document.body.innerText,
            title: document.title,
        })"""
    )
    assert kept["local"] == "[]"
    assert kept["session"] == "[]"
    assert kept["cookie"] == ""
    assert kept["databases"] == "[]"
    assert session.context.cookies() == []
    # The page's text shows hints only: no whole token, anywhere, ever.
    for where in ("url", "text", "title"):
        assert [secret for secret in secrets if secret in kept[where]] == [], where
    assert [line for line in session.console if any(secret in line for secret in secrets)] == []
    assert session.errors == []
    assert session.dialogs == []
    _requests_carry_tokens_only(session)


def _requests_carry_tokens_only(session: Session) -> None:
    """Every request went to this origin; a body holds a token to check (sign-in) or the tokens
    to send, and nothing else from a report (no file name, no line, no other secret)."""
    for method, url, body in session.requests:
        assert url.startswith(session.server.url + "/"), url
        if body is None:
            continue
        document = json.loads(body)
        if url.endswith("/api/v4/admin/token"):
            assert method == "POST"
            assert set(document) == {"token"}
        else:
            assert (method, url) == ("POST", session.server.url + "/api/v4/admin/tokens/revoke")
            assert set(document) == {"tokens", "dry_run"}
            assert set(document["tokens"]) <= session.given


def drop(session: Session, name: str, text: str) -> None:
    """A file dropped on the drop zone, as a browser delivers it."""
    session.page.evaluate(
        """([name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, { type: "application/octet-stream" }));
            const zone = document.getElementById("dropzone");
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
            }
        }""",
        [name, text],
    )


def rows(session: Session) -> list[dict[str, str]]:
    """The results table as shown: one dict per row, by column label."""
    found: list[dict[str, str]] = session.page.evaluate(
        """() => [...document.querySelectorAll("#results tbody tr")].map((row) =>
            Object.fromEntries([...row.cells].map((cell) => [cell.dataset.label, cell.innerText.trim()])))"""
    )
    return found


def row_of(session: Session, hint_start: str) -> dict[str, str]:
    [row] = [row for row in rows(session) if row["Token"].startswith(hint_start)]
    return row


def finish(session: Session, expected_rows: int) -> None:
    """Wait until a dry run or revoke is done: every row shown, the buttons enabled again."""
    expect(session.page.locator("#results-caption")).to_contain_text(f"of {expected_rows} tokens")
    expect(session.page.locator("#clear")).to_be_enabled()
    expect(session.page.locator("#export-csv")).to_be_enabled()


def readme_picture(session: Session, selector: str, name: str) -> None:
    """A small picture of a section, as docs/ holds for the README (copied from the artifacts by hand)."""
    session.page.locator(selector).scroll_into_view_if_needed()
    session.page.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView()")
    session.page.screenshot(path=str(SCREENSHOTS / name), type="jpeg", quality=70)


def lookup(server: Server, token: str) -> tuple[int, Any]:
    status, _, body = server.request("POST", "/api/v4/admin/token", body={"token": token},
                                     headers={"PRIVATE-TOKEN": demo.ADMIN})  # fmt: skip
    return status, body


# -- the steps --------------------------------------------------------------------------------------


def test_a_refused_token_shows_the_apis_message_and_nothing_else(session: Session) -> None:
    page = session.page
    for token, shown in (
        (demo.NON_ADMIN, "403: 403 Forbidden"),
        ("glpat-notARealTokenAtAll00", "401: 401 Unauthorized"),
    ):
        session.given.add(token)
        page.fill("#signin-token", token)
        page.press("#signin-token", "Enter")
        expect(page.locator("#signin-error")).to_have_text(shown)
        expect(page.locator("#triage")).to_be_hidden()
        expect(page.locator("#signin-token")).to_have_value("")


def test_signing_in_with_the_keyboard_alone(session: Session) -> None:
    page = session.page
    page.locator("#signin-token").focus()
    page.keyboard.type(demo.ADMIN)
    page.keyboard.press("Enter")
    expect(page.locator("#triage")).to_be_visible()
    expect(page.locator("#whoami")).to_contain_text("Signed in as user 1")
    expect(page.locator("#signin-error")).to_have_text("")
    # Focus moved on to the next thing to do.
    assert page.evaluate("document.activeElement.id") == "paste"


def test_pasted_text_gives_one_dry_run_row_per_distinct_token(session: Session) -> None:
    page = session.page
    session.given |= {demo.ALICE_FEED, demo.AGENT, demo.RUNNING_JOB}
    page.fill("#paste", PASTED)
    # From the text box, the keyboard reaches the button that reads it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "paste-read"
    page.keyboard.press("Enter")
    expect(page.locator("#sources li")).to_have_text(["pasted text: text, 4 found, 3 new"])
    page.click("#dry-run")
    finish(session, 3)
    assert {row["Token"]: row["Outcome"] for row in rows(session)} == {
        "glft-…z8Jq": "would be reset",
        "glagent-…2Vx8": "would be revoked",
        "glcbt-…q7Ez": "refused: Unsupported token type",
    }
    assert row_of(session, "glagent-")["Found in"] == "pasted text — line 3"
    expect(page.locator("#counts li")).to_have_text(["1 revoked", "1 reset", "1 refused"])
    # A dry run changed nothing.
    assert lookup(session.server, demo.AGENT)[1]["status"] == "active"


def test_the_page_reads_reports_as_revoke_report_does(session: Session) -> None:
    # The examples are the revoke-report tests' fixtures: the page's readers find the same.
    for name in REPORTS:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        read = session.page.evaluate(
            """async (text) => (await import(new URL("console/reports.js", document.baseURI))).readText(text)""", text
        )
        report = read_report(EXAMPLES / name)
        assert read["format"] == report.format
        assert [(f["file"], f["line"], f["secret"]) for f in read["findings"]] == [
            (finding.file, finding.line, finding.secret) for finding in report.findings
        ]


def test_each_report_format_dropped_joins_the_same_tokens(session: Session) -> None:
    page = session.page
    expected: dict[str, int] = {}
    for name in REPORTS:
        report = read_report(EXAMPLES / name)
        session.given |= {finding.secret for finding in report.findings if finding.secret.startswith(("gl", "_gitlab"))}
        drop(session, name, (EXAMPLES / name).read_text(encoding="utf-8"))
        expected[name] = len(report.findings)
    lines = page.locator("#sources li")
    expect(lines).to_have_count(4)
    texts = lines.all_inner_texts()
    assert texts[1].startswith(f"gitleaks.json: gitleaks report, {expected['gitleaks.json']} found")
    assert texts[2].startswith(f"trufflehog.jsonl: trufflehog report, {expected['trufflehog.jsonl']} found")
    gitlab = expected["gl-secret-detection-report.json"]
    assert texts[3].startswith(f"gl-secret-detection-report.json: GitLab secret detection report, {gitlab} found")
    assert all("skipped (no GitLab token prefix)" in text for text in texts[1:])
    page.click("#dry-run")
    distinct = len(session.given - {demo.ADMIN, demo.NON_ADMIN, "glpat-notARealTokenAtAll00"} | {demo.ALICE_PAT})
    finish(session, distinct)
    # The personal access token is in all three reports: one row, three places.
    pat = row_of(session, "glpat-")
    assert pat["Outcome"] == "would be revoked"
    assert pat["Found in"].count("\n") == 2
    assert row_of(session, "glrt-")["Target"] == "runner 2 (and 2 it owns)"
    assert row_of(session, "glrt-")["Outcome"] == "would be deleted"
    assert row_of(session, "_gitlab_session=")["Outcome"] == "would be deleted"


def test_rows_filter_by_outcome_and_type(session: Session) -> None:
    page = session.page
    total = len(rows(session))
    page.select_option("#filter-outcome", "refused")
    assert [row["Type"] for row in rows(session)] == ["ci_job_token"]
    page.select_option("#filter-outcome", "")
    page.select_option("#filter-type", "runner_authentication_token")
    assert [row["Token"] for row in rows(session)] == ["glrt-…s9Fy"]
    page.select_option("#filter-type", "")
    assert len(rows(session)) == total


def test_revoke_confirms_in_numbers_and_kinds_then_shows_each_outcome(session: Session) -> None:
    page = session.page
    server = session.server
    # Leave the personal access token out: unselect it.
    page.get_by_label("Revoke glpat-…7Xe1").uncheck()
    page.click("#revoke")
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    summary = page.locator("#confirm-summary").inner_text()
    assert "1 runner will be deleted" in summary
    assert "1 session will be deleted" in summary
    assert "1 token will be revoked" in summary  # the cluster agent token
    assert "1 trigger will be expired" in summary
    # Cancel first: nothing happens.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert lookup(server, demo.PROJECT_RUNNER)[0] == 200
    page.click("#revoke")
    page.click("#confirm-go")
    total = len(rows(session))
    finish(session, total)
    expect(page.locator("#results-caption")).not_to_contain_text("dry run")
    runner = row_of(session, "glrt-")
    assert runner["Outcome"] == "deleted"
    assert runner["Audit event"].isdigit()
    assert row_of(session, "glagent-")["Outcome"] == "revoked"
    assert row_of(session, "glft-")["Outcome"] == "reset"
    assert row_of(session, "glpat-")["Outcome"] == "would be revoked"  # not selected, not sent
    readme_picture(session, "#triage", "console-triage.jpg")
    # The state, through the API.
    assert lookup(server, demo.PROJECT_RUNNER)[0] == 404
    assert lookup(server, demo.AGENT)[1]["status"] == "revoked"
    assert lookup(server, demo.ALICE_PAT)[1]["active"] is True
    status, _, event = server.request("GET", f"/api/v4/audit_events/{runner['Audit event']}",
                                      headers={"PRIVATE-TOKEN": demo.ADMIN})  # fmt: skip
    assert status == 200
    assert event["details"]["token_type"] == "runner_authentication_token"


def test_export_as_csv_and_json_holds_hints_only(session: Session) -> None:
    page = session.page
    with page.expect_download() as download:
        page.click("#export-csv")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    with page.expect_download() as download:
        page.click("#export-json")
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    shown = len(rows(session))
    assert len(csv_text.strip().splitlines()) == shown + 1
    assert csv_text.startswith("token_hint,token_type,target,outcome,")
    assert len(document["results"]) == shown
    runner = next(result for result in document["results"] if result["token_type"] == "runner_authentication_token")
    assert runner["outcome"] == "deleted"
    assert isinstance(runner["audit_event_id"], int)
    for secret in session.given | {demo.ADMIN}:
        assert secret not in csv_text
        assert secret not in json.dumps(document)


def test_the_trail_lists_filters_pages_and_opens_events_and_charts_revokes(session: Session) -> None:
    page = session.page
    # Three more revokes, through the API, so that the trail is more than one page of 5.
    for token in (demo.PROJECT_DEPLOY, demo.GROUP_DEPLOY, demo.FLAGS_CLIENT):
        status, _, _ = session.server.request("DELETE", "/api/v4/admin/token", body={"token": token},
                                              headers={"PRIVATE-TOKEN": demo.ADMIN})  # fmt: skip
        assert status == 204
    status, _, events = session.server.request("GET", "/api/v4/audit_events?per_page=100",
                                               headers={"PRIVATE-TOKEN": demo.ADMIN})  # fmt: skip
    assert status == 200
    assert len(events) > 5
    page.click("nav >> text=Trail")
    page.select_option("#trail-per-page", "5")
    page.click("#trail-form button[type=submit]")
    body = page.locator("#events tbody tr")
    expect(body).to_have_count(5)
    expect(page.locator("#load-more")).to_be_visible()
    page.click("#load-more")
    expect(body).to_have_count(min(10, len(events)))
    ids = [int(text) for text in page.locator("#events tbody tr td:first-child").all_inner_texts()]
    assert ids == [event["id"] for event in events][: len(ids)]  # newest first, no gap, no repeat
    # The filters: a date range that ends before today holds none of today's revokes; an entity
    # type, an author and today's date narrow the list to the runner's.
    today = events[0]["created_at"][:10]
    page.select_option("#trail-per-page", "100")
    page.fill("#trail-before", "2020-01-01")
    page.click("#trail-form button[type=submit]")
    expect(body).to_have_count(0)
    page.fill("#trail-after", today)
    page.fill("#trail-before", today)
    page.fill("#trail-author", "1")
    page.select_option("#trail-entity", "Ci::Runner")
    page.click("#trail-form button[type=submit]")
    expect(body).to_have_count(1)
    page.select_option("#trail-entity", "")
    page.select_option("#trail-type", "runner_authentication_token")
    page.click("#trail-form button[type=submit]")
    expect(body).to_have_count(1)
    expect(body.first).to_contain_text("runner_authentication_token")
    # An event's detail.
    body.first.get_by_role("button", name=re.compile("Open event")).click()
    detail = page.locator("#event-fields")
    expect(detail).to_contain_text("details.action")
    expect(detail).to_contain_text("deleted")
    # The chart: one bar segment per day and type, as many revokes as the API's events say.
    bars = page.eval_on_selector_all(
        "#chart rect.bar", "(bars) => bars.map((bar) => [bar.dataset.day, bar.dataset.type, Number(bar.dataset.count)])"
    )
    per_day_and_type = Counter((event["created_at"][:10], event["details"]["token_type"]) for event in events)
    assert {(day, bar_type): count for day, bar_type, count in bars} == per_day_and_type
    assert page.locator("#chart-legend li").count() == len({bar_type for _, bar_type in per_day_and_type})
    described = page.locator("#chart svg").get_attribute("aria-label")
    assert described is not None
    assert described.startswith(f"{len(events)} revokes")
    readme_picture(session, "#trail", "console-trail.jpg")
    # Several days and types: bars stack per day, scaled to the busiest day (4 revokes).
    drawn = page.evaluate(
        """async () => {
            const trail = await import(new URL("console/trail.js", document.baseURI));
            const days = ["2026-11-01", "2026-11-02", "2026-11-03"];
            const counts = new Map([
                [days[0], new Map([["feed_token", 2]])],
                [days[1], new Map()],
                [days[2], new Map([["personal_access_token", 3], ["feed_token", 1]])],
            ]);
            trail.drawChart({ days, counts, complete: false });
            return {
                bars: [...document.querySelectorAll("#chart rect.bar")].map((bar) => [
                    bar.dataset.day,
                    bar.dataset.type,
                    Number(bar.getAttribute("y")),
                    Number(bar.getAttribute("height")),
                ]),
                caption: document.getElementById("chart-caption").textContent,
            };
        }"""
    )
    heights = {(day, bar_type): height for day, bar_type, _, height in drawn["bars"]}
    assert set(heights) == {
        ("2026-11-01", "feed_token"),
        ("2026-11-03", "feed_token"),
        ("2026-11-03", "personal_access_token"),
    }
    unit = heights[("2026-11-03", "feed_token")]
    assert heights[("2026-11-01", "feed_token")] == pytest.approx(2 * unit)
    assert heights[("2026-11-03", "personal_access_token")] == pytest.approx(3 * unit)
    tops = {(day, bar_type): top for day, bar_type, top, _ in drawn["bars"]}
    # Types stack in the registry's order: the feed token (2nd) at the bottom, the PAT (3rd) on it.
    assert tops[("2026-11-03", "personal_access_token")] + 3 * unit == pytest.approx(tops[("2026-11-03", "feed_token")])
    assert drawn["caption"].endswith("6 in all (the first 5,000 only)")


def test_a_file_name_or_location_holding_html_shows_as_text_and_runs_nothing(session: Session) -> None:
    page = session.page
    session.given.add(demo.ALICE_INCOMING_EMAIL)
    page.click("#clear")
    text_file: FilePayload = {
        "name": XSS_NAME,
        "mimeType": "text/plain",
        "buffer": f"MAIL={demo.ALICE_INCOMING_EMAIL}\n".encode(),
    }
    page.set_input_files("#report-file", files=[text_file])
    report = [{"Secret": demo.ALICE_INCOMING_EMAIL, "File": XSS_NAME, "StartLine": 2}]
    drop(session, "gitleaks-xss.json", json.dumps(report))
    expect(page.locator("#sources li")).to_have_count(2)
    assert page.locator("#sources li").first.inner_text() == f"{XSS_NAME}: text, 1 found, 1 new"
    page.click("#dry-run")
    finish(session, 1)
    assert row_of(session, "glimt-")["Found in"] == f"{XSS_NAME} — line 1\ngitleaks-xss.json — {XSS_NAME}:2"
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.alert") == "function"
    # No dialog opened (the autouse check asserts none did), and no error ran.


def test_readable_at_400_pixels_wide(session: Session) -> None:
    page = session.page
    page.set_viewport_size({"width": 400, "height": 900})
    wider = page.evaluate(
        """() => [...document.body.querySelectorAll("*")]
            .filter((node) => node.getBoundingClientRect().right > 400.5)
            .map((node) => `${node.tagName} ${node.id} ${node.textContent.slice(0, 40)}`)"""
    )
    assert wider == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    box = page.locator("#results tbody td[data-label=Outcome]").first.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 400
    page.locator("#paste").scroll_into_view_if_needed()


def test_a_file_that_cannot_be_read_or_is_another_kind_of_report_says_so(session: Session) -> None:
    page = session.page
    page.click("#clear")
    binary: FilePayload = {"name": "core.dump", "mimeType": "application/octet-stream", "buffer": b"\xff\xfe\x00\x81"}
    page.set_input_files("#report-file", files=[binary])
    page.fill("#paste", json.dumps({"scan": {"type": "sast"}, "vulnerabilities": [{"raw_source_code_extract": "x"}]}))
    page.click("#paste-read")
    expect(page.locator("#sources li")).to_have_text(
        [
            "core.dump: cannot be read: not UTF-8 text",
            "pasted text: a GitLab sast report, not a secret detection report",
        ]
    )
    expect(page.locator("#dry-run")).to_be_disabled()  # nothing to send
    page.click("#clear")


def test_past_1000_tokens_a_progress_bar_counts_the_calls_and_failed_rows_can_be_retried(session: Session) -> None:
    page = session.page
    fakes = [f"glpat-consoleBulk{number:07d}" for number in range(1500)]
    session.given |= set(fakes)
    page.click("#clear")
    drop(session, "leak.env", "".join(f"TOKEN_{number}={fake}\n" for number, fake in enumerate(fakes)))
    expect(page.locator("#input-status")).to_have_text("1500 distinct tokens ready for a dry run.")
    answered: list[int] = []

    def first_call_unavailable(route: Route) -> None:
        # The API's own answer when its storage is briefly unavailable (docs/contract.md).
        if not answered:
            answered.append(503)
            body = json.dumps({"message": "Storage temporarily unavailable, retry later"})
            route.fulfill(status=503, body=body, headers={"Content-Type": "application/json", "Retry-After": "1"})
        else:
            answered.append(0)
            route.continue_()

    page.route("**/api/v4/admin/tokens/revoke", first_call_unavailable)
    try:
        page.click("#dry-run")
        finish(session, 1500)
        expect(page.locator("#progress-box")).to_be_visible()
        expect(page.locator("#progress-text")).to_have_text("2 of 2 calls")
        expect(page.locator("#counts li")).to_have_text(["500 not found", "1000 failed"])
        expect(page.locator("#triage-error")).to_have_text(
            "A call was refused: Storage temporarily unavailable, retry later"
        )
        page.click("#retry")
        expect(page.locator("#counts li")).to_have_text(["1500 not found"])
        expect(page.locator("#retry")).to_be_disabled()
        expect(page.locator("#revoke")).to_be_disabled()  # nothing would change
    finally:
        page.unroute("**/api/v4/admin/tokens/revoke")
    assert answered == [503, 0, 0]
    page.click("#clear")


def test_the_administrators_own_token_is_left_unselected(session: Session) -> None:
    page = session.page
    session.given |= {demo.ADMIN, demo.GROUP_RUNNER}
    page.fill("#paste", f"{demo.ADMIN}\n{demo.GROUP_RUNNER}\n")
    page.click("#paste-read")
    page.click("#dry-run")
    finish(session, 2)
    own = row_of(session, "glpat-")
    assert own["Outcome"] == "would be revoked (the token you signed in with: not selected, sent last if you select it)"
    expect(page.get_by_label("Revoke glpat-…5Lm3")).not_to_be_checked()
    expect(page.get_by_label("Revoke glrt-…b3Ne")).to_be_checked()
    page.click("#clear")


def test_signing_out_forgets_the_token_and_what_was_read(session: Session) -> None:
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#sign-out")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#triage")).to_be_hidden()
    assert page.locator("#results tbody tr").count() == 0
    signed_in = page.evaluate("""async () => (await import(new URL("console/api.js", document.baseURI))).signedIn()""")
    assert signed_in is False
