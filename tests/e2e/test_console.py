"""The web console in Chromium: a customer's and an operator's whole journey, and screenshots of
every page in both languages."""

from __future__ import annotations

import json
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cdnexport.db.accounts import Account
from tests.e2e.conftest import OPERATOR, Server
from tests.support import iso, v1_request

pytestmark = pytest.mark.slow
VIEWPORT = {"width": 1280, "height": 800}
DAY = 86400


def _page(browser: Any, lang: str = "en-US") -> Any:
    context = browser.new_context(viewport=VIEWPORT, locale=lang, accept_downloads=True)
    context.set_default_timeout(30_000)
    return context.new_page()


def _sign_in(page: Any, server: Server) -> None:
    page.goto(server.console)
    page.get_by_label("AccessKey ID").fill(server.key_id)
    page.get_by_label("AccessKey Secret").fill(server.secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/usage")


def _describe(server: Server, **params: str) -> list[dict[str, Any]]:
    """DescribeDomainUsageData from the running server, signed as the legacy SDK signs."""
    caller = Account(0, "demo", server.key_id, server.secret, True)
    req = v1_request(caller, "DescribeDomainUsageData", params, time.time(), method="GET")
    with urllib.request.urlopen(f"{server.url}/?{req.raw_query}", timeout=30) as resp:  # noqa: S310
        body = json.loads(resp.read())
    modules: list[dict[str, Any]] = body["UsageDataPerInterval"]["DataModule"]
    return modules


def test_customer_journey(server: Server, browser: Any, tmp_path: Path) -> None:
    page = _page(browser)
    _sign_in(page, server)
    today = int(time.time()) // DAY * DAY
    start, end = today - 3 * DAY, today - DAY
    page.get_by_label("Start (UTC)").fill(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(start)))
    page.get_by_label("End (UTC)").fill(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(end)))
    page.get_by_label("Interval").select_option("3600")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()

    def shown(selector: str) -> int:
        return int(page.locator(selector).get_attribute("data-value"))

    window = {"StartTime": iso(start), "EndTime": iso(end), "Interval": "300", "Area": "all"}
    bps = _describe(server, Field="bps", **window)
    traf = [int(m["Value"]) for m in _describe(server, Field="traf", **window)]
    top = max(range(len(bps)), key=lambda i: float(bps[i]["Value"]))
    assert shown("#fig-total") == sum(traf)
    assert shown("#fig-peak") * 8 / 300 == pytest.approx(float(bps[top]["Value"]))
    assert iso(shown("#fig-peak-time")) == bps[top]["PeakTime"]
    assert shown("#fig-p95") == sorted(traf)[len(traf) - 1 - len(traf) // 20]
    assert page.locator("figure.chart svg line.percentile95").count() == 1
    assert page.locator("#per-domain tbody tr").count() >= 3
    # Hover read-out over the chart.
    box = page.locator("figure.chart svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "UTC" in page.locator(".readout").inner_text()

    # Export one day, watch it finish, download it, delete it.
    page.get_by_role("link", name="Exports").click()
    page.get_by_label("Type").select_option("flow")
    page.get_by_label("Start (UTC)").fill(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(end - DAY)))
    page.get_by_label("End (UTC)").fill(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(end)))
    page.get_by_label("Language").select_option("en-us")
    page.get_by_label("Task name").fill("e2e <b>day</b>")
    page.get_by_role("button", name="Create export").click()
    row = page.locator("tr", has_text="e2e <b>day</b>")
    row.wait_for()
    page.locator('tr[data-status="success"]', has_text="e2e <b>day</b>").wait_for(timeout=120_000)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download").click()
    saved = tmp_path / "export.xlsx"
    download_info.value.save_as(saved)
    assert zipfile.is_zipfile(saved)
    page.locator("tr", has_text="e2e <b>day</b>").get_by_role("button", name="Delete").click()
    page.wait_for_url("**/exports?done=export_deleted")
    assert page.locator("tr", has_text="e2e <b>day</b>").count() == 0

    # A PDF summary of the same day: created, finished, downloaded, deleted.
    page.get_by_role("link", name="PDF summaries").click()
    page.get_by_label("Start (UTC)").fill(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(end - DAY)))
    page.get_by_label("End (UTC)").fill(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(end)))
    page.get_by_label("Language").select_option("en-us")
    page.get_by_label("Task name").fill("e2e pdf")
    page.get_by_role("button", name="Create PDF summary").click()
    page.wait_for_url("**/summaries?done=summary_created")
    finished = page.locator('tr[data-status="success"]', has_text="e2e pdf")
    deadline = time.monotonic() + 120
    while finished.count() == 0:  # the summaries page has no live progress: reload
        assert time.monotonic() < deadline, "the PDF summary never finished"
        time.sleep(0.5)
        page.reload()
    with page.expect_download() as download_info:
        finished.get_by_role("link", name="Download").click()
    pdf = tmp_path / "summary.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    page.locator("tr", has_text="e2e pdf").get_by_role("button", name="Delete").click()
    page.wait_for_url("**/summaries?done=summary_deleted")
    assert page.locator("tr", has_text="e2e pdf").count() == 0

    # The language is switched and remembered.
    page.get_by_role("button", name="中文").click()
    assert page.get_by_role("link", name="用量").is_visible()
    page.reload()
    assert page.get_by_role("link", name="导出").is_visible()
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("link", name="Usage").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signin")
    page.goto(f"{server.console}exports")
    assert page.url.endswith("/console/signin")
    page.context.close()


def test_operator_journey(server: Server, browser: Any) -> None:
    page = _page(browser)
    page.goto(f"{server.console}operator/")
    page.get_by_label("Operator name").fill(OPERATOR[0])
    page.get_by_label("Password").fill(OPERATOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/operator/accounts")
    page.get_by_label("Name").fill("e2e-carol")
    page.get_by_role("button", name="Create account").click()
    notice = page.locator(".notice").inner_text()
    assert "e2e-carol" in notice and "LTAI" in notice
    row = page.locator('tr[data-account="e2e-carol"]')
    row.get_by_role("button", name="Disable AccessKey").click()
    assert "Disabled" in page.locator('tr[data-account="e2e-carol"]').inner_text()
    page.locator('tr[data-account="e2e-carol"]').get_by_role("button", name="Enable").click()
    page.locator('tr[data-account="e2e-carol"]').get_by_role(
        "button", name="Rotate AccessKey"
    ).click()
    assert "LTAI" in page.locator(".notice").inner_text()

    page.get_by_role("link", name="Domains and groups").click()
    page.locator("#d-account").select_option("e2e-carol")
    page.locator("#d-names").fill("carol.example.com")
    page.get_by_role("button", name="Add domains").click()
    page.locator("#g-account").select_option("e2e-carol")
    page.locator("#g-name").fill("carol-group")
    page.locator("#g-domains").fill("carol.example.com")
    page.get_by_role("button", name="Create group").click()
    assert "carol-group" in page.content()

    page.get_by_role("link", name="Usage freshness").click()
    fresh = page.locator("tr", has_text="cdn1.demo.demo.example").inner_text()
    assert "none" not in fresh
    page.get_by_role("link", name="Queue").click()
    for heading in ("Running", "Waiting", "Failed"):
        assert page.get_by_role("heading", name=heading).count() == 1
    page.context.close()


PAGES = {
    "customer": ["signin", "usage", "exports", "summaries"],
    "operator": [
        "operator/signin",
        "operator/accounts",
        "operator/domains",
        "operator/freshness",
        "operator/queue",
    ],
}


@pytest.mark.parametrize("lang", ["zh-CN", "en-US"])
def test_screenshots_of_every_page(
    server: Server, browser: Any, artifacts: Path, lang: str
) -> None:
    """Every page at 1280x800 in both languages, for a person to look at (kept as artifacts)."""
    page = _page(browser, lang)
    page.goto(f"{server.console}signin")
    page.screenshot(path=str(artifacts / f"{lang}-signin.png"), full_page=True)
    page.get_by_label("AccessKey ID").fill(server.key_id)
    page.locator("#access_key_secret").fill(server.secret)
    page.locator("form[action$='/signin'] button").click()
    page.wait_for_url("**/console/usage")
    page.goto(f"{server.console}exports")
    page.locator("#f-name").fill(f"screenshot {lang}")
    page.locator("form[action$='/exports'] button.primary").click()
    page.wait_for_url("**/exports?done=export_created")
    page.goto(f"{server.console}summaries")
    page.locator("#s-name").fill(f"screenshot {lang}")
    page.locator("form[action$='/summaries'] button.primary").click()
    page.wait_for_url("**/summaries?done=summary_created")
    for name in PAGES["customer"][1:]:
        page.goto(f"{server.console}{name}")
        page.screenshot(path=str(artifacts / f"{lang}-{name}.png"), full_page=True)
    page.goto(f"{server.console}operator/signin")
    page.screenshot(path=str(artifacts / f"{lang}-operator-signin.png"), full_page=True)
    page.locator("#op-name").fill(OPERATOR[0])
    page.locator("#op-password").fill(OPERATOR[1])
    page.locator("form[action$='/operator/signin'] button").click()
    page.wait_for_url("**/operator/accounts")
    for name in PAGES["operator"][1:]:
        page.goto(f"{server.console}{name}")
        page.screenshot(
            path=str(artifacts / f"{lang}-{name.replace('/', '-')}.png"), full_page=True
        )
    expected = len(PAGES["customer"]) + len(PAGES["operator"])
    assert len(list(artifacts.glob(f"{lang}-*.png"))) == expected
    print(f"screenshots: {artifacts}")
    page.context.close()
