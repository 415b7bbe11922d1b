"""The patient-facing text: one gettext catalogue per language, keyed by stable message ids.

Keys (``msgid``) such as ``symptom.nausea`` are stable names; the text (``msgstr``) lives in
``locale/<lang>/LC_MESSAGES/patient.po``. Babel reads the ``.po`` files directly, so no compiled ``.mo`` needs to
be kept in step with them. English is the source language; a test checks that every other language has every key
with the same ``{placeholders}``, and that the English text reads at or below US grade 8.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from babel.messages.pofile import read_po

from chestpain.kernel.errors import TriageError

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "patient"
#: Languages shipped, in the order the language picker shows them (each name in its own language).
LANGUAGES: Mapping[str, str] = MappingProxyType({"en": "English", "es": "Español"})
SOURCE_LANGUAGE = "en"
UNKNOWN_LANGUAGE = "unknown language {lang!r}; use one of {known}"
UNKNOWN_KEY = "no patient text {key!r} in the {lang} catalogue"


def catalogue_path(lang: str) -> Path:
    """Where the ``.po`` file of ``lang`` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def placeholders(text: str) -> frozenset[str]:
    """The ``{names}`` a text expects (``str.format`` fields)."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(text) if field)


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language; :meth:`text` fills placeholders and refuses an unknown key."""

    lang: str
    messages: Mapping[str, str]

    def text(self, key: str, **values: object) -> str:
        """The text of ``key`` with its ``{placeholders}`` filled from ``values``."""
        try:
            template = self.messages[key]
        except KeyError:
            raise TriageError(UNKNOWN_KEY.format(key=key, lang=self.lang)) from None
        return template.format(**values) if values else template

    __call__ = text


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str = SOURCE_LANGUAGE) -> Catalogue:
    """The catalogue of ``lang`` (read once per process); untranslated (empty) and fuzzy entries are left out."""
    if lang not in LANGUAGES:
        raise TriageError(UNKNOWN_LANGUAGE.format(lang=lang, known=", ".join(LANGUAGES)))
    with catalogue_path(lang).open("rb") as handle:
        po = read_po(handle, locale=lang, domain=DOMAIN)
    messages = {
        str(message.id): str(message.string) for message in po if message.id and message.string and not message.fuzzy
    }
    return Catalogue(lang, MappingProxyType(messages))
