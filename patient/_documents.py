"""One small document model for the three patient-side pages, rendered as self-contained HTML and as PDF.

The page, the HTML download and the PDF download show the same :class:`Document`, so what the patient reads on
screen is what they take home. Both renderers embed everything (inline CSS and SVG in the HTML; fonts in the PDF)
and reference nothing outside the file: opening a download fetches nothing and sends nothing.
"""

from __future__ import annotations

import html
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

#: Colours of the icon array: contrast with white >= 3:1 for both (WCAG 1.4.11 non-text contrast), and told apart
#: by lightness, not only by hue (red-green colour blindness).
AFFECTED_COLOUR = "#a4161a"
UNAFFECTED_COLOUR = "#767676"
ICONS_PER_ROW = 10


def _matplotlib_fonts() -> Path:
    """Matplotlib's font folder, found without importing matplotlib (a dependency; it ships DejaVu Sans)."""
    spec = importlib.util.find_spec("matplotlib")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


#: A font with Spanish and most other scripts' letters: DejaVu Sans (Bitstream Vera licence, free to redistribute)
#: as matplotlib ships it, so an installed wheel has it on any machine without system fonts. Without it the PDF
#: would fall back to the PDF core font (Latin-1 only) and replace other characters with "?".
DEJAVU, DEJAVU_BOLD = (_matplotlib_fonts() / name for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))


@dataclass(frozen=True)
class IconArray:
    """``affected`` of ``total`` people drawn in a grid, with the sentence a screen reader reads for it."""

    affected: int
    label: str
    total: int = 100

    def __post_init__(self) -> None:
        if not 0 <= self.affected <= self.total:
            raise ValueError(f"icon array: {self.affected} affected of {self.total}")


@dataclass(frozen=True)
class Section:
    """A heading with paragraphs, an optional icon array, bullet points and label/value facts, in that order."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    icons: IconArray | None = None
    bullets: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Document:
    """A one-page document: title, sections and closing notes, in one language."""

    title: str
    lang: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------------------------ SVG
def icon_svg(icons: IconArray, *, width: int = 300) -> str:
    """The icon array as inline SVG: ``affected`` dark-red people first (row by row), the rest grey."""
    rows = -(-icons.total // ICONS_PER_ROW)
    cell = 20
    people = []
    for i in range(icons.total):
        x, y = (i % ICONS_PER_ROW) * cell, (i // ICONS_PER_ROW) * cell
        colour = AFFECTED_COLOUR if i < icons.affected else UNAFFECTED_COLOUR
        kind = "affected" if i < icons.affected else "unaffected"
        people.append(
            f'<g class="{kind}" fill="{colour}"><circle cx="{x + 10}" cy="{y + 5}" r="3.6"/>'
            f'<rect x="{x + 5}" y="{y + 9.5}" width="10" height="9" rx="3.5"/></g>'
        )
    height = rows * cell
    shown_height = width * height // (ICONS_PER_ROW * cell)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(icons.label)}" '
        f'viewBox="0 0 {ICONS_PER_ROW * cell} {height}" width="{width}" height="{shown_height}">'
        f"<title>{html.escape(icons.label)}</title>{''.join(people)}</svg>"
    )


# ----------------------------------------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-size:17px;line-height:1.5;
color:#1a1a1a;background:#fff;max-width:40em;margin:0 auto;padding:1em}
h1{font-size:1.5em;margin:.2em 0 .6em}h2{font-size:1.15em;margin:1.2em 0 .3em;border-bottom:1px solid #bbb}
dl{display:grid;grid-template-columns:minmax(8em,45%) 1fr;gap:.2em 1em;margin:.3em 0}dt{font-weight:600}dd{margin:0}
.story{white-space:pre-wrap;border-left:4px solid #555;padding-left:.7em}
.notes{font-size:.9em;color:#3d3d3d;border-top:1px solid #bbb;margin-top:1.5em}
svg{max-width:100%;height:auto;display:block;margin:.4em 0}
@media print{body{font-size:12pt;max-width:none}}
"""


def to_html(document: Document) -> str:
    """A self-contained HTML page: inline style and SVG, no script, no link or image to any other file or host."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(document.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(document.title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{e(document.title)}</h1>",
    ]
    for section in document.sections:
        parts.append(f"<section><h2>{e(section.heading)}</h2>")
        for paragraph in section.paragraphs:
            parts.append(f'<p class="story">{e(paragraph)}</p>' if "\n" in paragraph else f"<p>{e(paragraph)}</p>")
        if section.icons is not None:
            parts.append(f"<figure>{icon_svg(section.icons)}<figcaption>{e(section.icons.label)}</figcaption></figure>")
        if section.bullets:
            parts.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in section.bullets) + "</ul>")
        if section.facts:
            parts.append("<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in section.facts) + "</dl>")
        parts.append("</section>")
    if document.notes:
        parts.append('<footer class="notes">' + "".join(f"<p>{e(note)}</p>" for note in document.notes) + "</footer>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------------------ PDF
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
