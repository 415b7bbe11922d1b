"""The PDF renderer of :class:`~chestpain.patient._documents.Document` (fpdf2): A4, fonts embedded, one page.

Kept apart from the document model and the HTML renderer because fonts are its whole difficulty.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from chestpain.patient._documents import AFFECTED_COLOUR, ICONS_PER_ROW, UNAFFECTED_COLOUR, Document, IconArray


def _matplotlib_fonts() -> Path:
    """Matplotlib's font folder, found without importing matplotlib (a dependency; it ships DejaVu Sans)."""
    spec = importlib.util.find_spec("matplotlib")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


#: A font with Spanish and most other scripts' letters: DejaVu Sans (Bitstream Vera licence, free to redistribute)
#: as matplotlib ships it, so an installed wheel has it on any machine without system fonts. Without it the PDF
#: would fall back to the PDF core font (Latin-1 only) and replace other characters with "?".
DEJAVU, DEJAVU_BOLD = (_matplotlib_fonts() / name for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))


class _Pdf(FPDF):
    """A4 portrait with the font chosen once; ``write_text`` makes text printable in that font."""

    def __init__(self, lang: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_lang(lang)
        self.unicode = DEJAVU.is_file() and DEJAVU_BOLD.is_file()
        if self.unicode:
            self.add_font("body", "", str(DEJAVU))
            self.add_font("body", "B", str(DEJAVU_BOLD))
            self.family = "body"
        else:
            self.family = "helvetica"

    def printable(self, text: str) -> str:
        """``text`` as the font can print it (the core font knows Latin-1 only)."""
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def paragraph(self, text: str, *, size: float = 10.5, style: str = "", gap: float = 1.5) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(0, size * 0.5, self.printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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


def to_pdf(document: Document) -> bytes:
    """The document as a PDF (fpdf2, fonts embedded); the title is also the PDF's title metadata."""
    pdf = _Pdf(document.lang)
    pdf.set_title(pdf.printable(document.title))
    pdf.add_page()
    pdf.paragraph(document.title, size=16, style="B", gap=2)
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
    return bytes(pdf.output())
