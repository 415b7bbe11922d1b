"""The PDF renderer of :class:`~chestpain.patient._documents.Document` (fpdf2): A4, fonts embedded, one page.

Kept apart from the document model and the HTML renderer because fonts are its whole difficulty: the patient may
write in any script (``_fonts`` picks a face for each character), Arabic, Hebrew and Indic scripts must be shaped
and laid out in their own direction, and a character no font has must stay visible as a mark, with a note saying
so, instead of silently vanishing from the patient's own words.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import TTFFont

from chestpain.patient._catalogue import LANGUAGES, SOURCE_LANGUAGE, catalogue
from chestpain.patient._documents import AFFECTED_COLOUR, ICONS_PER_ROW, UNAFFECTED_COLOUR, Document, IconArray
from chestpain.patient._fonts import Face, coverage
from chestpain.patient._fonts import plan as font_plan


def _matplotlib_fonts() -> Path:
    """Matplotlib's font folder, found without importing matplotlib (a dependency; it ships DejaVu Sans)."""
    spec = importlib.util.find_spec("matplotlib")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


#: A font with Spanish and most other scripts' letters: DejaVu Sans (Bitstream Vera licence, free to redistribute)
#: as matplotlib ships it, so an installed wheel has it on any machine without system fonts. Without it the PDF
#: would fall back to the PDF core font (Latin-1 only) and replace other characters with "?".
DEJAVU, DEJAVU_BOLD = (_matplotlib_fonts() / name for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
#: Drawn for a character no font here has (U+FFFD REPLACEMENT CHARACTER, which DejaVu has; "?" in the core font).
REPLACEMENT = "\ufffd"


def _right_to_left(text: str) -> bool:
    """Whether the first character with a strong direction is right-to-left (Unicode bidi rules P2 and P3)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("L", "R", "AL"):
            return direction != "L"
    return False


def _needs_shaping(text: str) -> bool:
    """Whether DejaVu's own text needs HarfBuzz: right-to-left letters or combining marks.

    Latin text is left unshaped: fpdf2 places shaped text glyph by glyph, which made a Spanish decision aid 25%
    larger (36.7 to 46.0 KiB) and a third slower to build, for kerning alone.
    """
    return any(unicodedata.bidirectional(c) in ("R", "AL", "AN") or unicodedata.category(c)[0] == "M" for c in text)


class _Pdf(FPDF):
    """A4 portrait in DejaVu Sans, with the fallback faces one document's text needs and text shaping.

    Shaping (HarfBuzz, through uharfbuzz) joins Arabic letters, places Devanagari vowel signs and lays right-to-left
    text out from the right; the fallback faces come from :func:`~chestpain.patient._fonts.plan`. A character no
    face has is drawn as :attr:`mark`, and :attr:`missing` tells the caller to say so on the page.
    """

    def __init__(self, lang: str, text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_lang(lang)
        self.unicode = DEJAVU.is_file() and DEJAVU_BOLD.is_file()
        self._fallback: dict[str, str] = {}
        self._regular: frozenset[int] = frozenset()
        if not self.unicode:
            self.family, self.mark = "helvetica", "?"
            self.missing = frozenset(char for char in text if ord(char) > 0xFF)  # the core font knows Latin-1 only
            return
        base = coverage(Face(DEJAVU))
        plan = font_plan(text, base)
        taken = {ord(char) for chars in plan.fallbacks.values() for char in chars}
        self._regular = base - taken  # what DejaVu draws: the rest goes to the faces the plan chose
        self.add_font("body", "", DEJAVU, unicode_range=sorted(self._regular) if taken else None)
        self.add_font("body", "B", DEJAVU_BOLD, unicode_range=sorted(self._regular) if taken else None)
        for number, (face, chars) in enumerate(plan.fallbacks.items()):
            self.add_font(f"fallback{number}", "", face.path, collection_font_number=face.index)
            self._fallback.update(dict.fromkeys(chars, f"fallback{number}"))
        # No set_fallback_fonts: fpdf2 (2.8.9) asks get_fallback_font below for every character DejaVu lacks while
        # text shaping is on, and with fonts registered there it sets the page font inside a saved graphics state
        # when a line starts in one of them, so that the next line starting in DejaVu was drawn in a stale font
        # (a bold "T" for "(", tests/patient/test_pdf_scripts.py).
        if self._fallback or _needs_shaping(text):
            self.set_text_shaping(True)
        self.family, self.missing = "body", plan.missing
        self.mark = REPLACEMENT if ord(REPLACEMENT) in base else "?"

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """The face the plan gave ``char``; in bold text, regular DejaVu for the few letters only it has."""
        return self._fallback.get(char) or ("body" if style and ord(char) in self._regular else None)

    def printable(self, text: str) -> str:
        """``text`` with each character no font here can draw replaced by :attr:`mark`."""
        return "".join(self.mark if char in self.missing else char for char in text)

    def paragraph(self, text: str, *, size: float = 10.5, style: str = "", gap: float = 1.5) -> None:
        """``text`` line by line: each line is a paragraph of its own direction, right-aligned if right-to-left."""
        for line in self.printable(text).split("\n"):
            self.set_font(self.family, style, size)  # again: a line that starts in a fallback face makes it current
            align = Align.R if _right_to_left(line) else Align.J
            self.multi_cell(0, size * 0.5, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def icons(self, icons: IconArray) -> None:
        """The icon array: a head (circle) and a body (rounded rectangle) per person, 10 per row."""
        cell = 6.0
        rows = -(-icons.total // ICONS_PER_ROW)
        if self.get_y() + rows * cell > self.page_break_trigger:
            self.add_page()
        x0, y0 = self.l_margin, self.get_y()
        for i in range(icons.total):
            colour = AFFECTED_COLOUR if i < icons.affected else UNAFFECTED_COLOUR
            self.set_fill_color(*(int(colour[k : k + 2], 16) for k in (1, 3, 5)))
            x, y = x0 + (i % ICONS_PER_ROW) * cell, y0 + (i // ICONS_PER_ROW) * cell
            self.ellipse(x + 1.9, y + 0.3, 2.2, 2.2, style="F")
            self.rect(x + 1.5, y + 2.8, 3.0, 2.7, style="F", round_corners=True, corner_radius=0.9)
        self.set_y(y0 + rows * cell + 1.5)


def _texts(document: Document) -> Iterator[str]:
    """Every text the PDF draws: the fonts are chosen for all of them before the first is drawn."""
    yield document.title
    for section in document.sections:
        yield section.heading
        yield from section.paragraphs
        if section.icons is not None:
            yield section.icons.label
        yield from section.bullets
        for label, value in section.facts:
            yield f"{label}: {value}"
    yield from document.notes


def missing_note(lang: str, mark: str) -> str:
    """The sentence under the title of a PDF in which some characters are drawn as ``mark``."""
    return catalogue(lang if lang in LANGUAGES else SOURCE_LANGUAGE)("doc.pdf_missing", mark=mark)


def to_pdf(document: Document) -> bytes:
    """The document as a PDF (fpdf2, fonts embedded); the title is also the PDF's title metadata.

    A character that no font here can draw is replaced by a visible mark, and a note under the title says so:
    the patient's own words are never silently shortened.
    """
    pdf = _Pdf(document.lang, "\n".join(_texts(document)))
    pdf.set_title(pdf.printable(document.title))
    pdf.add_page()
    pdf.paragraph(document.title, size=16, style="B", gap=2)
    if pdf.missing:
        pdf.paragraph(missing_note(document.lang, pdf.mark), size=9.5, style="B", gap=2)
    for section in document.sections:
        pdf.paragraph(section.heading, size=12.5, style="B", gap=0.5)
        for paragraph in section.paragraphs:
            pdf.paragraph(paragraph)
        if section.icons is not None:
            pdf.icons(section.icons)
            pdf.paragraph(section.icons.label, size=9.5)
        for item in section.bullets:
            pdf.paragraph(f"\u2022 {item}" if pdf.unicode else f"- {item}", gap=0.5)
        for label, value in section.facts:
            pdf.paragraph(f"{label}: {value}", gap=0.5)
        pdf.ln(2)
    for note in document.notes:
        pdf.paragraph(note, size=8.5, gap=0.5)
    data = bytes(pdf.output())
    for font in pdf.fonts.values():  # fpdf2 (2.8.9) closes every font file it embedded but a colour font's
        if isinstance(font, TTFFont):
            font.close()
    return data
