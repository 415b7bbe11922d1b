"""The patient-text catalogue: Spanish covers every English key with the same placeholders; English reads <= grade 8."""

from __future__ import annotations

import re

import pytest
import textstat
from babel.messages.pofile import read_po

from chestpain.kernel.errors import TriageError
from chestpain.patient import LANGUAGES, catalogue, placeholders
from chestpain.patient._catalogue import catalogue_path

#: US school grade that patient materials should not exceed (AMA and NIH advise grade 6-8; the issue says 8).
MAX_GRADE = 8


def _raw(lang: str):
    with catalogue_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def test_every_language_has_every_english_key_with_the_same_placeholders():
    english = catalogue("en").messages
    assert len(english) > 50
    for lang in LANGUAGES:
        other = catalogue(lang).messages
        assert set(other) == set(english), (lang, set(english) ^ set(other))
        for key, text in english.items():
            assert placeholders(other[key]) == placeholders(text), (lang, key)


def test_no_entry_is_empty_or_fuzzy_in_the_files_themselves():
    # catalogue() drops empty and fuzzy entries, so check the raw files: a dropped entry must fail here too.
    for lang in LANGUAGES:
        for message in _raw(lang):
            if message.id:
                assert message.string.strip() and not message.fuzzy, (lang, message.id)


def test_spanish_is_a_translation_not_a_copy():
    english, spanish = catalogue("en").messages, catalogue("es").messages
    same = [key for key in english if english[key] == spanish[key] and len(english[key]) > 3]
    assert same == []


def test_unknown_key_and_language_are_one_line_errors():
    with pytest.raises(TriageError, match="no patient text 'nope'"):
        catalogue("en")("nope")
    with pytest.raises(TriageError, match="unknown language 'fr'"):
        catalogue("fr")


def _as_sentences(texts) -> str:
    """Labels and list items end without a full stop; give each one so that it counts as its own sentence."""
    return " ".join(text if text.rstrip()[-1] in ".?!:" else text + "." for text in texts)


def _grade(texts) -> float:
    textstat.set_lang("en_US")
    return textstat.flesch_kincaid_grade(_as_sentences(texts))


def test_grade_measure_can_fail():
    hard = [
        "Myocardial infarction necessitates expeditious electrocardiographic characterization and serial "
        "high-sensitivity troponin quantification, notwithstanding atypical symptomatology."
    ]
    assert _grade(hard) > MAX_GRADE


@pytest.mark.parametrize("group", ["all", "account.", "aid.", "symptom.", "question."])
def test_english_reads_at_or_below_grade_8(group):
    english = catalogue("en").messages
    texts = [re.sub(r"\{\w+\}", "3", text) for key, text in english.items() if group == "all" or key.startswith(group)]
    assert texts
    assert _grade(texts) <= MAX_GRADE
