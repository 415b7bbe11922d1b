"""The patient's side in a real browser at phone size (390 x 844), with axe-core accessibility checks.

A patient fills "Tell us in your own words" on a phone; the clinician opens the summary, finds the discharge check
pre-filled with "patient-reported" marks, confirms and checks; the decision aid downloads as HTML and as PDF, and
the PDF's first page is rendered (pdftoppm) and its text read (pdftotext) to find the risk. Every page of the app
is checked with axe-core (axe-playwright-python, run in Debian's chromium) for serious or critical violations.
With ``TRIAGE_UPDATE_SCREENSHOTS=1`` the phone screenshots of the three patient-side pages go to docs/screenshots/.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from chestpain.features.columns import RISK_FACTORS
from chestpain.models._whatif import NON_SYMPTOM_FIELDS
from tests.app import test_browser
from tests.app.helpers import LOW_RISK, PAGE_FILES
from tests.app.test_browser import (
    MAX_SCREENSHOT_BYTES,
    OUTPUT,
    SCREENSHOTS,
    UPDATE_SCREENSHOTS,
    WAIT_MS,
    _fill_discharge_form,
    _idle,
)

# The same fixtures as the desktop browser test: one app server and one chromium for this module.
server = test_browser.server
browser = test_browser.browser

PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
#: What the LOW_RISK patient says on the phone (the rest of the discharge form is the clinician's).
PATIENT_SAYS = {"chest_pain": "Yes", "radiation": "No", "diaphoresis": "No", "nausea": "No", "dyspnea": "No"}
REPORTED = {"chest_pain", "radiation", "diaphoresis", "nausea", "dyspnea"}


def _phone_page(browser, url: str, path: str = "") -> Any:
    page = browser.new_page(viewport=PHONE, accept_downloads=True)
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{url}/{path}")
    page.locator("[data-testid='stMainBlockContainer']").wait_for()
    _idle(page)
    return page


def _blocking_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    _idle(page)
    # Streamlit scrolls inside its main block, and axe-core leaves text scrolled out of that block unchecked for
    # contrast: grow the viewport to the content (same width) so that every element is in view, then restore it.
    size = page.viewport_size
    content = page.evaluate(
        "document.querySelector('[data-testid=\"stMainBlockContainer\"]').getBoundingClientRect().height"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(content) + 200, 8000))})
    page.wait_for_timeout(300)
    violations = Axe().run(page).response["violations"]
    page.set_viewport_size(size)
    return [
        f"{v['impact']} {v['id']}: {v['help']}: "
        + " | ".join(
            f"{n['target']} {n['html'][:200]} ({' '.join(n['failureSummary'].split())})" for n in v["nodes"][:4]
        )
        for v in violations
        if v["impact"] in BLOCKING
    ]


def _assert_accessible(page) -> None:
    found = _blocking_violations(page)
    assert not found, "\n".join(found)


def _go(page, title: str, heading: str | None = None) -> None:
    """Navigate inside the app (the session, and so the patient's answers, survive; a reload would drop them)."""
    nav = page.locator("[data-testid='stSidebarNav']")
    if not nav.is_visible():
        page.locator("[data-testid='stExpandSidebarButton']").click()
    nav.get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading or title).first.wait_for()
    if page.locator("[data-testid='stSidebarCollapseButton']").is_visible():  # phone: the sidebar covers the page
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
    _idle(page)


def _phone_screenshot(page, name: str) -> None:
    """The whole page at phone width (the viewport grows to the content, which scrolls inside its block)."""
    height = 0
    for _ in range(5):
        _idle(page)
        page.wait_for_timeout(800)
        content = page.evaluate(
            "document.querySelector('[data-testid=\"stMainBlockContainer\"]').getBoundingClientRect().height"
        )
        wanted = min(max(int(content) + 120, PHONE["height"]), 6000)
        if wanted == height:
            break
        height = wanted
        page.set_viewport_size({"width": PHONE["width"], "height": height})
    png = page.screenshot()
    if len(png) > MAX_SCREENSHOT_BYTES:
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / f"{name}.png").write_bytes(png)
    if UPDATE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(png)
    page.set_viewport_size(PHONE)


def _fill_patient_page(page) -> None:
    page.get_by_role("heading", name="Tell us in your own words").wait_for()
    page.locator(".st-key-pa_story textarea").fill("A heavy feeling in my chest when I carried the shopping upstairs.")
    for name, answer in PATIENT_SAYS.items():
        page.locator(f".st-key-pa_sx_{name}").get_by_text(answer, exact=True).click()
    page.locator(".st-key-pa_sx_fatigue").get_by_text("Not sure", exact=True).click()
    page.locator(".st-key-pa_onset input").fill("6")
    page.locator(".st-key-pa_q_home label").click()
    page.locator(".st-key-pa_q_warning label").click()
    page.locator(".st-key-pa_own_questions textarea").fill("Can I fly to my daughter's wedding on Saturday?")
    page.locator(".st-key-pa_hear_numbers label").click()
    page.locator(".st-key-pa_who input").fill("my husband")
    page.locator(".st-key-pa_matters textarea").fill("Being at the wedding.")
    page.locator(".st-key-pa_submit button").click()
    page.get_by_text("Thank you. Your doctor will read this").wait_for()
    _idle(page)


def _download(page, key: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.locator(f".st-key-{key} button").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


@pytest.mark.skipif(
    "symptom_onset_hours" not in NON_SYMPTOM_FIELDS,
    reason="the discharge form has no symptom_onset_hours field yet (models-v2 adds it); the model needs it",
)
def test_patient_account_to_decision_aid_on_a_phone(browser, server, tmp_path):
    page = _phone_page(browser, server, "patient_account")
    _fill_patient_page(page)
    _assert_accessible(page)
    account = _download(page, "account_download_pdf", tmp_path)
    assert account.read_bytes().startswith(b"%PDF-")
    _phone_screenshot(page, "patient_account")

    _go(page, "Clinician summary")
    page.get_by_text("Can I fly to my daughter").wait_for()
    assert page.get_by_text("Unusual tiredness or weakness? (F)").first.is_visible()
    _assert_accessible(page)
    summary = _download(page, "summary_download_html", tmp_path).read_text()
    assert "Can I fly to my daughter" in summary and "<script" not in summary
    _phone_screenshot(page, "clinician_summary")

    _go(page, "Discharge check")
    for name in sorted(REPORTED):
        label = page.locator(f".st-key-q_{name} [data-testid='stWidgetLabel']").inner_text()
        assert label.endswith("patient-reported"), (name, label)
    fatigue = page.locator(".st-key-q_fatigue [data-testid='stWidgetLabel']").inner_text()
    assert "patient-reported" not in fatigue  # "not sure": the clinician asks
    clinician = {k: v for k, v in LOW_RISK.items() if k not in REPORTED and k not in RISK_FACTORS or v}
    _fill_discharge_form(page, clinician)
    page.locator(".st-key-check button").click()
    page.get_by_text("Nothing was scored: some answers are marked").wait_for()  # not yet confirmed
    page.locator(".st-key-patient_prefill_confirmed label").click()
    page.locator(".st-key-check button").click()
    page.get_by_text("Why: the top reasons").wait_for()
    risk_text = page.locator("[data-testid='stMetric']").filter(has_text="Risk of MI").inner_text()
    risk = float(re.search(r"([\d.]+)%", risk_text).group(1)) / 100  # e.g. "Risk of MI 0.4%"

    _go(page, "Decision aid", "Your chest pain: what happens next")
    page.get_by_text("Going home with follow-up").first.wait_for()
    _assert_accessible(page)
    icons = page.locator("svg[role='img']").first
    affected = icons.locator("g.affected").count()
    said = re.search(r"About (\d+) of them", icons.get_attribute("aria-label"))
    assert affected == (int(said.group(1)) if said else 0)  # the picture and its sentence agree
    assert abs(affected - risk * 100) <= 0.5 + 0.05  # the rounded risk (the metric shows it to 0.1 points)
    html = _download(page, "aid_download_html", tmp_path).read_text()
    pdf = _download(page, "aid_download_pdf", tmp_path)
    assert "Your chance of a heart attack now:" in html
    first_array = html.split("</svg>")[0]
    assert first_array.count('class="affected"') == affected
    assert first_array.count('class="unaffected"') == 100 - affected
    _phone_screenshot(page, "decision_aid")
    page.close()

    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        pytest.skip("pdftoppm/pdftotext missing (Debian poppler-utils; `make install` installs it)")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "50", "-png", str(pdf), str(tmp_path / "aid")], check=True)
    first_page = next(tmp_path.glob("aid*.png"))
    assert first_page.stat().st_size > 2000  # a rendered page, not an empty one
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    shown = re.search(r"Your chance of a heart attack now: (<?[\d.]+%)", " ".join(text.split()))
    assert shown, text
    assert shown.group(1) in unescape(html)


@pytest.mark.parametrize("page_file", PAGE_FILES, ids=lambda path: path.stem)
def test_every_page_has_no_serious_accessibility_violation_at_phone_size(browser, server, page_file):
    page = _phone_page(browser, server, page_file.stem)
    page.locator("[data-testid='stSidebar']").get_by_text("not a medical device").wait_for(state="attached")
    _assert_accessible(page)
    page.close()
