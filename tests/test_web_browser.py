"""The team server in a real browser: Playwright drives Debian's chromium (never a
browser build of Playwright's own) against a live `tracer serve` on loopback.  A
collector signs in, picks a purpose, traces, accepts, undoes and is denied; compliance
reviews the lookup.  Every page is screenshotted into the test's folder (set
TRACER_SCREENSHOTS=DIR to keep them, as docs/ keeps two for the README)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tracer.demo import BANKRUPT_ACCOUNT, COLLECTOR, MOVED_ACCOUNT
from tracer.demo.team import COMPLIANCE
from web_server import OTHERS_ACCOUNT, start

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                 reason="Debian's chromium is not installed "
                                        "(apt-get install chromium; .ci/run does)")]
REASON = "mail returned, phone disconnected, need current address"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start(tmp_path_factory.mktemp("web-browser"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("TRACER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000
        return path
    return shoot


def signed_in(browser, server, user, purpose="collect-debt"):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/")
    page.fill("#user", user)
    page.fill("#password", server.passwords[user])
    page.click("button[type=submit]")
    page.wait_for_url("**/purpose")
    if purpose:
        page.check(f"input[value={purpose}]")
        page.click("#choose-purpose")
        page.wait_for_url("**/worklist")
    return page, errors


def test_collector_traces_accepts_and_undoes(browser, server, shots):
    page, errors = signed_in(browser, server, COLLECTOR)
    assert "collect-debt" in page.inner_text("#purpose-banner")
    assert MOVED_ACCOUNT in page.inner_text("main")
    assert OTHERS_ACCOUNT not in page.inner_text("main")      # not on my worklist
    shots(page, "worklist")
    page.click(f"text={MOVED_ACCOUNT}")
    page.wait_for_url(f"**/accounts/{MOVED_ACCOUNT}")
    assert "collect-debt" in page.inner_text("#purpose-banner")   # on every page
    shots(page, "account")
    page.fill("#reason", REASON)
    page.fill("#as_of", "2026-11-01")
    page.click("#trace-button")
    page.wait_for_url("**/lookups/L-*")
    assert "Decision: allow" in page.inner_text("#decision")
    results = page.inner_text("#results")
    assert "SALT LAKE CITY" in results and "mobile" in results and "utility_connect" in results
    page.click("#wf-address-1 a")                               # the waterfall, on demand
    page.wait_for_selector("#wf-address-1 table.waterfall")
    shots(page, "lookup")
    page.click("#accept-address-1")
    page.wait_for_selector("#attached button")
    assert "SALT LAKE CITY" in page.inner_text("#attached")
    assert "accepted" in page.inner_text("#contact-address-1")
    page.click("#attached button")
    page.wait_for_selector("#attached .undone")
    shots(page, "undone")
    page.click(f"text={MOVED_ACCOUNT}")
    page.wait_for_url(f"**/accounts/{MOVED_ACCOUNT}")
    assert "6017 MAPLE RD" in page.inner_text("main")          # the address before, restored
    page.click("text=Sources")
    page.wait_for_url("**/sources")
    assert "imported_records" in page.inner_text("#sources")
    shots(page, "sources")
    assert errors == []


def test_collector_is_denied_a_bankrupt_and_anothers_account(browser, server, shots):
    page, errors = signed_in(browser, server, COLLECTOR)
    page.goto(server.url + f"/accounts/{BANKRUPT_ACCOUNT}")
    assert "bankruptcy" in page.inner_text("#flags")
    page.fill("#reason", "second notice unanswered, checking address")
    page.click("#trace-button")
    page.wait_for_url("**/lookups/L-*")
    decision = page.inner_text("#decision")
    assert "Decision: deny" in decision and "flag_bankruptcy" in decision
    assert "11 U.S.C. 362" in decision
    assert page.query_selector("#results") is None
    shots(page, "denied-bankrupt")
    response = page.goto(server.url + f"/accounts/{OTHERS_ACCOUNT}")
    assert response.status == 403
    assert "not_assigned" in page.inner_text("#error")
    shots(page, "denied-not-assigned")
    response = page.goto(server.url + "/review")
    assert response.status == 403
    assert [e for e in errors if "403" not in e] == []


def test_compliance_reviews_a_lookup(browser, server, shots):
    collector, _ = signed_in(browser, server, COLLECTOR)
    collector.goto(server.url + f"/accounts/{MOVED_ACCOUNT}")
    collector.fill("#reason", REASON)
    collector.click("#trace-button")
    collector.wait_for_url("**/lookups/L-*")
    lookup_id = collector.url.rsplit("/", 1)[1]
    page, errors = signed_in(browser, server, COMPLIANCE, purpose=None)
    page.click("text=Audit console")
    page.wait_for_url("**/review")
    page.fill("input[name=actor]", COLLECTOR)
    page.fill("input[name=purpose]", "collect-debt")
    page.click("text=Filter")
    page.wait_for_url("**/review?*actor=*")
    link = f"#lookups a[href='/review/lookups/{lookup_id}']"
    page.wait_for_selector(link)
    shots(page, "audit-console")
    page.click(link)
    page.wait_for_url(f"**/review/lookups/{lookup_id}")
    trail = page.inner_text("#trail")
    for event in ("lookup_requested", "decision", "source_query", "candidates_ranked"):
        assert event in trail
    assert "password" in trail and "claimed" not in trail
    page.check("input[value=ok]")
    page.fill("#note", "purpose and justification fit the account notes")
    page.click("#record-finding")
    page.wait_for_selector("#trail >> text=review_finding")
    shots(page, "trail")
    page.click("text=Chain")
    page.wait_for_url("**/review/chain")
    assert "entries verified" in page.inner_text("#chain")
    shots(page, "chain")
    assert errors == []


def test_supervisor_uploads_a_batch_and_watches_it_finish(browser, server, shots, tmp_path):
    from tracer.demo import SUPERVISOR
    placement = tmp_path / "placement.csv"
    placement.write_text(f"acct,name,dob\n{MOVED_ACCOUNT},Ann,1980-01-02\n"
                         f"{BANKRUPT_ACCOUNT},Bob,\nNOPE-1,Cy,\n")
    page, errors = signed_in(browser, server, SUPERVISOR)
    page.click("text=Batches")
    page.wait_for_url("**/batches")
    page.set_input_files("#file", str(placement))
    page.click("#upload-button")
    page.wait_for_url("**/batches/upload/U-*")
    preview = page.inner_text("#preview")
    assert "ACCT" in preview.upper() and "1980-01-02" not in preview
    assert page.input_value("#column") == "0"
    shots(page, "batch-mapping")
    page.fill("#reason", "placement file from the client: mail returned")
    page.click("#start-button")
    page.wait_for_url("**/batches/B-*")
    from playwright.sync_api import expect
    expect(page.locator("#batch-status")).to_have_text("completed", timeout=90_000)
    assert "2 of 2 accounts" in page.inner_text("#batch-count")
    assert "flag_bankruptcy" in page.inner_text("#batch-denied")
    with page.expect_download() as download:
        page.click("#rejects-link")
    assert "no such account" in open(download.value.path()).read()
    shots(page, "batch-finished")
    assert errors == []


def test_the_identity_graph_and_the_stats_read_in_a_browser(browser, server, shots):
    page, errors = signed_in(browser, server, COLLECTOR)
    page.goto(server.url + f"/accounts/{MOVED_ACCOUNT}")
    page.fill("#reason", REASON)
    page.click("#trace-button")
    page.wait_for_url("**/lookups/L-*")
    page.click("#graph-link")
    page.wait_for_url(f"**/accounts/{MOVED_ACCOUNT}/graph*")
    boxes = page.eval_on_selector_all(
        "#graph-svg g.node text", "els => els.map(e => { const b = e.getBBox();"
        " return [b.x, b.y, b.x + b.width, b.y + b.height]; })")
    assert len(boxes) > 3
    for i, a in enumerate(boxes):                       # measured by the browser itself
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    assert page.is_visible("#graph-legend")
    shots(page, "graph")
    reviewer, review_errors = signed_in(browser, server, COMPLIANCE, purpose=None)
    reviewer.goto(server.url + "/review/stats")
    assert reviewer.is_visible("#chart-weeks") and reviewer.is_visible("#chart-users")
    shots(reviewer, "stats")
    assert errors == [] and review_errors == []
