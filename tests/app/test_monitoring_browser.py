"""The Monitoring page in a real browser after a run: alarms, plots and tables pass axe-core like the other pages."""

from __future__ import annotations

from tests.app import test_browser
from tests.app.test_browser import _idle
from tests.app.test_patient_browser import _assert_accessible, _phone_page

# The same fixtures as the other browser tests: one app server and one chromium for this module.
server = test_browser.server
browser = test_browser.browser


def test_monitoring_results_have_no_serious_accessibility_violation(browser, server):
    page = _phone_page(browser, server, "monitoring")
    page.locator(".st-key-monitor_source").get_by_text("overridden 2x from week 20").click()
    page.locator(".st-key-run_monitor button").click()
    page.get_by_text("What to check next").wait_for(timeout=180_000)
    page.get_by_text("Latest week").wait_for()
    page.locator("[data-testid='stImage']").nth(3).wait_for()
    _idle(page)
    headings = page.locator("h3").all_inner_texts()
    assert any(h.startswith("Alarms: ") and h != "Alarms: 0" for h in headings), headings
    assert page.locator("[data-testid='stImage']").count() == 4  # two metrics x (ratios, rates), each captioned
    _assert_accessible(page)
    page.close()
