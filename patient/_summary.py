"""The patient's account as two documents: the patient's own copy (their language) and the clinician's summary.

The clinician's summary is in English with the discharge check's clinical wording (``models._whatif.PROMPT_LIST``)
so each symptom lines up with the question the clinician confirms; the patient's own words are quoted unchanged.
"""

from __future__ import annotations

from chestpain.features import PROMPT_LIST, more_common_in_women
from chestpain.features.columns import SYMPTOMS
from chestpain.patient._account import PatientAccount
from chestpain.patient._catalogue import LANGUAGES, catalogue
from chestpain.patient._documents import Document, Section

CLINICIAN_TITLE = "Patient's own account: summary for the clinician"
CLINICIAN_ANSWER = {"yes": "yes", "no": "no", "unsure": "not sure (ask)", None: "not answered (ask)"}
CLINICIAN_NOTES = (
    "Patient-reported before the first question, not verified. The discharge check is pre-filled with these "
    "answers marked 'patient-reported'; nothing is scored until the clinician confirms or corrects them.",
    "Research and audit tool, not a medical device.",
)


def _hours(hours: float) -> str:
    return f"{hours:g}"


def account_document(account: PatientAccount) -> Document:
    """The patient's own copy of their account, in their language."""
    t = catalogue(account.language)
    empty = t("doc.empty")
    story = Section(t("doc.account.story"), (account.story.strip() or empty,))
    symptoms = Section(
        t("doc.account.symptoms"),
        facts=tuple((t(f"symptom.{name}"), t(f"answer.{account.answer(name) or 'none'}")) for name in SYMPTOMS),
    )
    onset_text = empty if account.onset_hours is None else t("account.onset.value", hours=_hours(account.onset_hours))
    onset = Section(t("doc.account.onset"), (onset_text,))
    asked = tuple(t(f"question.{name}") for name in account.questions)
    own = tuple(line.strip() for line in account.own_questions.splitlines() if line.strip())
    questions = Section(t("doc.account.questions"), () if asked or own else (empty,), bullets=asked + own)
    interpreter = (
        t("doc.account.interpreter", language=account.interpreter_language.strip() or empty)
        if account.interpreter
        else t("doc.account.no_interpreter")
    )
    prefs = Section(
        t("doc.account.prefs"),
        (interpreter,),
        bullets=tuple(t(f"hear.{name}") for name in account.hear),
        facts=(
            (t("doc.account.who"), account.who_present.strip() or empty),
            (t("doc.account.matters"), account.matters_most.strip() or empty),
        ),
    )
    sections = (story, symptoms, onset, questions, prefs)
    return Document(t("doc.account.title"), account.language, sections, (t("notice"),))


def clinician_summary(account: PatientAccount) -> Document:
    """One page for the clinician: preferences, the story verbatim, symptoms as the prompt list asks, onset, questions.

    Communication preferences come first: an interpreter decides how the rest of the visit goes.
    """
    en = catalogue("en")
    needs = []
    if account.interpreter:
        needs.append(f"Interpreter needed: {account.interpreter_language.strip() or 'language not given'}")
    if account.language != "en":
        needs.append(f"Filled in in {LANGUAGES[account.language]}")
    prefs = Section(
        "Communication preferences",
        tuple(needs),
        bullets=tuple(f"Hear results: {en(f'hear.{name}')}" for name in account.hear),
        facts=(
            ("Wants present", account.who_present.strip() or "not given"),
            ("What matters most", account.matters_most.strip() or "not given"),
        ),
    )
    story = Section("In the patient's words", (account.story.strip() or "(nothing written)",))
    symptoms = Section(
        "Symptoms (patient-reported; confirm each; (F) = more common in women)",
        facts=tuple(
            (PROMPT_LIST[name] + (" (F)" if more_common_in_women(name) else ""), CLINICIAN_ANSWER[account.answer(name)])
            for name in SYMPTOMS
        ),
    )
    onset = Section(
        "Onset of the worst pain",
        ("not given" if account.onset_hours is None else f"{_hours(account.onset_hours)} h ago (patient's estimate)",),
    )
    own = tuple(line.strip() for line in account.own_questions.splitlines() if line.strip())
    questions = Section(
        "Questions the patient wants answered",
        () if account.questions or own else ("none ticked",),
        bullets=tuple(en(f"question.{name}") for name in account.questions) + tuple(f'"{q}"' for q in own),
    )
    return Document(CLINICIAN_TITLE, "en", (prefs, story, symptoms, onset, questions), CLINICIAN_NOTES)
