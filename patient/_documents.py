"""One small document model for the three patient-side pages, rendered as self-contained HTML and as PDF.

The page, the HTML download and the PDF download show the same :class:`Document`, so what the patient reads on
screen is what they take home. Both renderers embed everything (inline CSS and SVG in the HTML; fonts in the PDF)
and reference nothing outside the file: opening a download fetches nothing and sends nothing. The PDF renderer
lives in ``_pdf``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

#: Colours of the icon array: contrast with white >= 3:1 for both (WCAG 1.4.11 non-text contrast), and told apart
#: by lightness, not only by hue (red-green colour blindness).
AFFECTED_COLOUR = "#a4161a"
UNAFFECTED_COLOUR = "#767676"
ICONS_PER_ROW = 10


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
