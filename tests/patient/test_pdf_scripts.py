"""Every script in the PDFs (issue 26): the patient's own words in Chinese, Arabic, Hebrew, Hindi and emoji are drawn
and read back with pdftotext; a character no font has is replaced visibly and the PDF says so.

The fonts for Chinese, Hindi and emoji are Debian packages (`make install`); a test that needs one is skipped, with
the package named, when fontconfig knows no font with that script. Arabic and Hebrew also work with DejaVu alone.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chestpain.patient import PatientAccount, _fonts, _pdf, account_document, catalogue, clinician_summary, to_pdf
from chestpain.patient._documents import Document, Section

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils, `make install`) missing"
)

CHINESE = "我的胸口很痛，从早上开始。"
CHINESE_QUESTION = "我可以回家吗？"
ARABIC = "أشعر بألم في صدري منذ الصباح"
HEBREW = "יש לי כאב בחזה מהבוקר"
HINDI = "मेरे सीने में सुबह से दर्द है"
EMOJI = ("\U0001f623", "\u2764", "\U0001f44d", "\U0001f3fd")  # persevering face, heart, thumbs up, skin tone
#: Characters pdftotext adds around right-to-left and left-to-right runs (explicit embeddings and isolates).
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
NONCHARACTER = "\ufdd0"  # never assigned by Unicode, so no font maps it


def _installed(sample: str) -> bool:
    """Whether fontconfig knows a font with ``sample`` (asked directly, not through the code under test)."""
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", f":charset={ord(sample):x}", "file"], capture_output=True, text=True).stdout
    return bool(listed.strip())


def _needs_font(sample: str, package: str) -> None:
    if not _installed(sample):
        pytest.skip(f"no font with {sample!r} known to fontconfig (Debian {package}, `make install`)")


def _pdf_file(document: Document, tmp_path: Path) -> Path:
    path = tmp_path / "doc.pdf"
    path.write_bytes(to_pdf(document))
    return path


def _text(path: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def _words(path: Path) -> list[tuple[float, float, str]]:
    """(xMin, xMax, word) of every word pdftotext -bbox finds, as drawn from left to right."""
    pattern = r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>'
    found = re.findall(pattern, _text(path, "-bbox"))
    return [(float(x_min), float(x_max), html.unescape(word)) for x_min, x_max, word in found]


def _assert_nothing_foreign(document: Document, text: str) -> None:
    """Every character read back was written: no glyph drawn in a wrong or stale font (a "T" where "(" was)."""
    written = set("".join(_pdf._texts(document))) | set(" \n\f\u2022:")
    assert set(text.translate(BIDI_CONTROLS)) - written == set()


def _assert_no_note(text: str) -> None:
    assert "could not be shown" not in text and "\ufffd" not in text


def test_chinese_story_and_question_read_back(tmp_path):
    _needs_font("\u4e2d", "fonts-noto-cjk")
    account = PatientAccount(
        story=CHINESE, own_questions=CHINESE_QUESTION, interpreter=True, interpreter_language="中文"
    )
    for build in (account_document, clinician_summary):
        document = build(account)
        text = _text(_pdf_file(document, tmp_path))
        assert CHINESE in text and CHINESE_QUESTION in text and "中文" in text
        _assert_nothing_foreign(document, text)
        _assert_no_note(text)


@pytest.mark.parametrize("sentence", [ARABIC, HEBREW], ids=["arabic", "hebrew"])
def test_right_to_left_reads_back_in_logical_order_and_is_laid_out_from_the_right(sentence, tmp_path):
    document = account_document(PatientAccount(story=sentence))
    path = _pdf_file(document, tmp_path)
    text = _text(path)
    # pdftotext (poppler 22.12) returns a right-to-left line in logical order (the order it was typed), wrapped in
    # U+202B RIGHT-TO-LEFT EMBEDDING ... U+202C POP DIRECTIONAL FORMATTING. The old PDF drew the letters left to
    # right in typed order, unshaped, and pdftotext read that line back reversed ("حابصلا ذنم ...").
    assert sentence in text.translate(BIDI_CONTROLS)
    _assert_nothing_foreign(document, text)
    # With -bbox it lists the words as drawn, left to right, each word's letters reversed: the first word typed
    # must be the rightmost, at the right margin (the paragraph is right-aligned), the last typed the leftmost.
    line = [(x_min, x_max, word[::-1]) for x_min, x_max, word in _words(path) if word[::-1] in sentence.split()]
    assert [word for _, _, word in sorted(line, reverse=True)] == sentence.split()
    left_edge = min(x_min for x_min, _, _ in _words(path))  # where left-aligned lines start: margin + cell margin
    assert max(x_max for _, x_max, _ in line) == pytest.approx(595.28 - left_edge, abs=1)  # A4 is 595.28 pt wide


def test_hindi_reads_back(tmp_path):
    _needs_font("\u0915", "fonts-noto-core")
    document = account_document(PatientAccount(story=HINDI, who_present="बेटी"))
    text = _text(_pdf_file(document, tmp_path))
    assert HINDI in text and "बेटी" in text
    _assert_nothing_foreign(document, text)
    _assert_no_note(text)


def test_emoji_are_drawn(tmp_path):
    _needs_font("\U0001f44d", "fonts-noto-color-emoji")
    story = f"pain {EMOJI[0]} heart {EMOJI[1]}\ufe0f thumbs {EMOJI[2]}{EMOJI[3]}"
    document = account_document(PatientAccount(story=story))
    text = _text(_pdf_file(document, tmp_path))
    # The emoji font is a Type 3 font: pdftotext reads its glyphs as their own block, after the line's words.
    assert all(emoji in text for emoji in EMOJI) and "pain" in text and "thumbs" in text
    _assert_nothing_foreign(document, text)
    _assert_no_note(text)


def test_a_line_after_a_line_in_another_font_keeps_its_own_font(tmp_path):
    _needs_font("\u4e2d", "fonts-noto-cjk")
    # The first line ends in the CJK face, the second starts (as drawn, from the left) with DejaVu's "(": fpdf2's
    # own fallback fonts drew it in the heading's stale bold font, read back as "T".
    document = Document("Heading", "en", (Section("Story", (f"{CHINESE}\n{ARABIC} (3)", "(after) ok")),))
    text = _text(_pdf_file(document, tmp_path))
    assert "(after) ok" in text
    _assert_nothing_foreign(document, text)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_character_no_font_has_is_replaced_visibly_and_the_pdf_says_so(lang, tmp_path):
    account = PatientAccount(language=lang, story=f"dolor {NONCHARACTER} aquí")
    text = _text(_pdf_file(account_document(account), tmp_path))
    assert "dolor \ufffd aquí" in text and NONCHARACTER not in text
    note = _pdf.missing_note(lang, "\ufffd")
    assert note == catalogue(lang)("doc.pdf_missing", mark="\ufffd") and "\ufffd" in note
    assert " ".join(note.split()) in " ".join(text.split())
    assert text.index(note.split()[0]) < text.index("dolor")  # under the title, before the patient's words


def test_without_a_cjk_font_chinese_becomes_marks_and_a_note(monkeypatch, tmp_path):
    monkeypatch.setattr(_fonts, "script_face", lambda script: None)
    monkeypatch.setattr(_fonts, "face_for", lambda char: None)
    text = _text(_pdf_file(account_document(PatientAccount(story=f"{CHINESE} ok")), tmp_path))
    assert "\ufffd" * len(CHINESE) + " ok" in text
    assert "Some letters or signs could not be shown in this PDF" in text


def test_without_dejavu_the_core_font_marks_with_a_question_mark_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(_pdf, "DEJAVU", tmp_path / "missing.ttf")
    text = _text(_pdf_file(account_document(PatientAccount(story=f"caf\u00e9 {CHINESE[:2]}")), tmp_path))
    assert "café ??" in text and "Each one is shown as ? instead." in text


def test_latin_text_gets_no_note(tmp_path):
    text = _text(_pdf_file(account_document(PatientAccount(language="es", story="Me duele desde la mañana")), tmp_path))
    assert "Me duele desde la mañana" in text
    _assert_no_note(text)


def test_each_script_goes_to_its_own_face_and_latin_stays_with_dejavu():
    base = _fonts.coverage(_fonts.Face(_pdf.DEJAVU))
    assert ord("\u0627") in base  # DejaVu has Arabic letters, yet the Arabic face takes them when installed
    plan = _fonts.plan(f"abc {ARABIC} {HINDI} {NONCHARACTER}\u200d\n", base)
    assert plan.missing == {NONCHARACTER}  # the joiner and the newline need no glyph
    drawn = set().union(*plan.fallbacks.values())
    assert not drawn & set("abc \n")
    scripts = {script.name: script for script in _fonts.SCRIPTS}
    for script, sentence in ((scripts["arabic"], ARABIC), (scripts["devanagari"], HINDI)):
        if _installed(script.sample):
            face = _fonts.script_face(script)
            assert face is not None and plan.fallbacks[face] >= set(sentence.replace(" ", "")), script.name
