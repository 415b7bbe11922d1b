"""The patient's own account ("Tell us in your own words") and what it pre-fills in the discharge check.

The account is what the patient says before the clinician's first question (the seed: clinicians interrupt after
a median of 11 s, Singh Ospina et al., J Gen Intern Med 2019). Its symptom answers use the question prompt list of
the discharge check (``features.columns.SYMPTOMS``), so each can pre-fill that form, marked as patient-reported
until the clinician confirms or corrects it. Nothing here stores anything: the account lives in the caller's
memory (the app's session state) and leaves it only as a download.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chestpain.features import COLUMN_RULES
from chestpain.features.columns import ONSET_COLUMN, SYMPTOMS
from chestpain.kernel.errors import TriageError

Answer = Literal["yes", "no", "unsure"]
ANSWERS: tuple[Answer, ...] = ("yes", "no", "unsure")
#: The questions a patient can tick (the question prompt list of the seed, for a chest-pain visit); text keys are
#: ``question.<name>`` in the catalogue.
QUESTIONS = ("cause", "heart", "tests", "home", "warning", "followup", "medicines", "activity")
#: How the patient wants to hear results; text keys ``hear.<name>``.
HEAR_PREFERENCES = ("face_to_face", "numbers", "written", "short")
MAX_TEXT = 4000  # characters per free-text answer: a page of text, enough for an account, bounded for the PDF
BAD_ONSET = "hours since the pain started: {problem}"
BAD_CHOICE = "{field}: unknown choice {value!r}; use one of {known}"
TOO_LONG = "{field}: at most {limit} characters ({n} given)"


@dataclass(frozen=True)
class PatientAccount:
    """Everything the patient page collects; every field may be left empty."""

    language: str = "en"
    story: str = ""
    symptoms: Mapping[str, Answer | None] = field(default_factory=dict)
    onset_hours: float | None = None
    questions: tuple[str, ...] = ()
    own_questions: str = ""
    hear: tuple[str, ...] = ()
    who_present: str = ""
    matters_most: str = ""
    interpreter: bool = False
    interpreter_language: str = ""

    def __post_init__(self) -> None:
        for name, answer in self.symptoms.items():
            if name not in SYMPTOMS:
                raise TriageError(BAD_CHOICE.format(field="symptom", value=name, known=", ".join(SYMPTOMS)))
            if answer is not None and answer not in ANSWERS:
                raise TriageError(BAD_CHOICE.format(field=name, value=answer, known=", ".join(ANSWERS)))
        for name, values, known in (("question", self.questions, QUESTIONS), ("hear", self.hear, HEAR_PREFERENCES)):
            for value in values:
                if value not in known:
                    raise TriageError(BAD_CHOICE.format(field=name, value=value, known=", ".join(known)))
        for name in ("story", "own_questions", "who_present", "matters_most", "interpreter_language"):
            n = len(getattr(self, name))
            if n > MAX_TEXT:
                raise TriageError(TOO_LONG.format(field=name, limit=MAX_TEXT, n=n))
        if self.onset_hours is not None:
            rule = COLUMN_RULES[ONSET_COLUMN]
            hours = float(self.onset_hours)
            if not math.isfinite(hours) or not rule.low <= hours <= rule.high:
                problem = f"{self.onset_hours!r} is outside {rule.low:g}-{rule.high:g} hours"
                raise TriageError(BAD_ONSET.format(problem=problem))

    def answer(self, symptom: str) -> Answer | None:
        """The patient's answer about ``symptom`` (None when skipped)."""
        return self.symptoms.get(symptom)


def prefill_answers(account: PatientAccount) -> dict[str, Any]:
    """The discharge-form answers the account gives: symptom yes/no and onset hours, under the form's field names.

    "Not sure" and skipped symptoms pre-fill nothing, so the clinician must ask them; onset is the form's
    ``symptom_onset_hours``.
    """
    answers: dict[str, Any] = {
        name: account.answer(name) == "yes" for name in SYMPTOMS if account.answer(name) in ("yes", "no")
    }
    if account.onset_hours is not None:
        answers[ONSET_COLUMN] = float(account.onset_hours)
    return answers
