"""The three documents download as self-contained HTML and as PDF, with the patient's words shown as text."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from chestpain.kernel.errors import TriageError
from chestpain.patient import PatientAccount, account_document, clinician_summary, prefill_answers, to_html, to_pdf

ACCOUNT = PatientAccount(
    language="es",
    story='Me duele el pecho <script>alert(1)</script> <img src="http://example.invalid/x">\ndesde la mañana',
    symptoms={"chest_pain": "no", "nausea": "yes", "fatigue": "unsure", "back_or_jaw_pain": "yes"},
    onset_hours=5.5,
    questions=("home", "heart"),
    own_questions="¿Puedo manejar?",
    hear=("numbers",),
    who_present="mi hija",
    interpreter=True,
    interpreter_language="español",
)


def test_prefill_takes_yes_and_no_only_and_the_onset():
    assert prefill_answers(ACCOUNT) == {
        "chest_pain": False,
        "nausea": True,
        "back_or_jaw_pain": True,
        "symptom_onset_hours": 5.5,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"onset_hours": -1}, "hours since the pain started"),
        ({"questions": ("bogus",)}, "question: unknown choice 'bogus'"),
        ({"symptoms": {"palpitations": "yes"}}, "symptom: unknown choice 'palpitations'"),
        ({"story": "x" * 4001}, "story: at most 4000 characters"),
    ],
)
def test_bad_account_is_one_line_error(change, message):
    with pytest.raises(TriageError, match=message):
        PatientAccount(**change)


@pytest.mark.parametrize("build", [account_document, clinician_summary])
def test_html_is_self_contained_and_shows_markup_as_text(build):
    page = to_html(build(ACCOUNT))
    assert "<script" not in page and "<img" not in page
    assert not re.search(r"<[^>]*\s(src|href|action)=", page)  # no tag loads or links anything
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http") == 1  # the quoted story's URL


def test_clinician_summary_lines_up_with_the_prompt_list():
    page = to_html(clinician_summary(ACCOUNT))
    assert "Interpreter needed: español" in page and "Filled in in Español" in page
    assert "Pain in the back, neck or jaw? (F)" in page and "not sure (ask)" in page and "not answered (ask)" in page
    assert "5.5 h ago (patient&#x27;s estimate)" in page and "Is it safe for me to go home?" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils, `make install`) missing")
@pytest.mark.parametrize("build", [account_document, clinician_summary])
def test_pdf_text_reads_back_with_accents(build, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(to_pdf(build(ACCOUNT)))
    assert path.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "desde la mañana" in text and "¿Puedo manejar?" in text
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M)  # one page
