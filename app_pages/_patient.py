"""Streamlit glue shared by the patient-side pages: language picker, document display and the two downloads.

What a page shows is a :class:`chestpain.patient.Document` built by the library; here it is only drawn. The
patient's answers live in ``st.session_state`` (this browser tab's session) and nowhere else: no file, no log,
no database; they leave the session only when the user presses a download button.
"""

from __future__ import annotations

import streamlit as st

from chestpain.app._common import ACCOUNT, md  # noqa: F401  (ACCOUNT: the patient pages import it from here)
from chestpain.patient import LANGUAGES, Catalogue, Document, catalogue, icon_svg, to_html, to_pdf

LANGUAGE = "patient_language"


def language_picker() -> Catalogue:
    """A language choice at the top of a patient page (kept for the session); the chosen catalogue."""
    current = st.session_state.get(LANGUAGE, "en")
    lang = st.radio(
        "Language / Idioma",
        list(LANGUAGES),
        index=list(LANGUAGES).index(current),
        format_func=LANGUAGES.__getitem__,
        horizontal=True,
        key="patient_language_picker",
    )
    st.session_state[LANGUAGE] = lang
    return catalogue(lang)


def show_document(document: Document, *, skip_title: bool = False) -> None:
    """Draw a document with Streamlit elements; all text is shown literally (``md``)."""
    if not skip_title:
        st.header(md(document.title))
    for section in document.sections:
        st.subheader(md(section.heading))
        for paragraph in section.paragraphs:
            st.markdown("  \n".join(md(line) for line in paragraph.splitlines()) or " ")
        if section.icons is not None:
            # Our own SVG (shapes and a catalogue sentence, no user text). st.html's sanitiser drops <svg>; Markdown
            # with HTML keeps it inline, so the role="img" and aria-label reach screen readers.
            st.markdown(icon_svg(section.icons), unsafe_allow_html=True)
            st.markdown(md(section.icons.label))
        if section.bullets:
            st.markdown("\n".join(f"- {md(item)}" for item in section.bullets))
        if section.facts:
            st.markdown("\n".join(f"- **{md(label)}**: {md(value)}" for label, value in section.facts))
    for note in document.notes:
        st.caption(md(note))


def downloads(document: Document, stem: str, t: Catalogue, *, key: str) -> None:
    """The document as a self-contained HTML page and as a PDF, built in memory when the page runs."""
    left, right = st.columns(2)
    left.download_button(
        t("download.html"),
        to_html(document).encode("utf-8"),
        file_name=f"{stem}.html",
        mime="text/html",
        key=f"{key}_html",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        t("download.pdf"),
        to_pdf(document),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key=f"{key}_pdf",
        icon=":material/download:",
        on_click="ignore",
    )
