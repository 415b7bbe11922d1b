"""What every page shares: the research-tool notice, the model (loaded once per process) and its description.

Only Streamlit glue lives here; what a page computes comes from the library (``models``, ``features``,
``fairness``), which never imports Streamlit.
"""

from __future__ import annotations

import re

import streamlit as st

from models import TriageModel
from models._registry import TRAIN_HINT, load_app_model, model_reference
from triage.errors import TriageError

NOTICE = (
    "**Research and audit tool, not a medical device.** Nothing here is validated for patient care: do not use "
    "it to make or justify a decision about a patient. Simulated results are not clinical evidence."
)


# Every ASCII punctuation character: CommonMark lets each be escaped with a backslash, and together they are every
# character that can start Markdown or Streamlit syntax (links, images, emphasis, `code`, HTML, :directives:, $math$,
# bare-URL and e-mail autolinks need ":", "." or "@").
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
#: Where GitHub-flavoured Markdown starts an autolink without any syntax: "://", "www." and "@" (e-mail).
_AUTOLINK = re.compile(r":/|[wW]\.|@.", re.ASCII)
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """``value`` as literal text inside Markdown (``st.error``, ``st.info``, ``st.markdown``, labels).

    The one rule for every string from data, a file name, a model or a config shown by a Markdown-rendering element.

    Each punctuation character is backslash-escaped, so ``[x](http://...)``, ``![x](...)`` and ``<img ...>`` are
    shown as the characters they are. Escapes do not stop GitHub-style autolinks (a bare ``http://...``,
    ``www.`` or ``name@host`` becomes a link after unescaping; seen in the browser test), so an invisible WORD
    JOINER (U+2060) is put into ``://``, ``www.`` and ``@``. Line breaks become spaces (a message is one line; a
    break could otherwise start a Markdown block).
    """
    text = " ".join(str(value).splitlines())
    text = _AUTOLINK.sub(lambda match: match.group(0)[0] + WORD_JOINER + match.group(0)[1:], text)
    return _PUNCTUATION.sub(r"\\\1", text)


def code(value: object) -> str:
    """``value`` as an inline code span (literal, monospaced): the fence is longer than any run of backticks in it."""
    text = " ".join(str(value).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def show_error(lead: str, error: object) -> None:
    """``st.error`` with our own Markdown ``lead`` followed by ``error`` shown as literal text."""
    st.error(f"{lead}{md(error)}")


def page_frame(title: str, intro: str) -> None:
    """Title, one line on who the page is for, and the notice in the sidebar (on every page)."""
    st.title(title)
    st.caption(intro)
    st.sidebar.warning(NOTICE)


@st.cache_resource(show_spinner="Loading the model...", max_entries=4)
def _cached_model(reference: str) -> TriageModel:
    """Load once per process and reference; a failure is not cached, so training a model fixes the app."""
    return load_app_model(reference)


def get_model(reference: str | None = None) -> TriageModel | None:
    """The model at ``reference`` (default ``$TRIAGE_MODEL`` or the champion), or None after saying how to train one."""
    reference = reference or model_reference()
    try:
        model = _cached_model(reference)
    except TriageError as error:
        st.info(f"No model to load: {md(error)}.\n\n{TRAIN_HINT}")
        return None
    describe_model(model, reference)
    return model


def describe_model(model: TriageModel, reference: str) -> None:
    """The model's name, source and thresholds in the sidebar, so every answer says which model gave it."""
    thresholds = ", ".join(f"{md(sex)} {value:.2%}" for sex, value in model.thresholds.items())
    st.sidebar.markdown(
        f"**Model** {code(model.manifest.get('name', '?'))} from {code(reference)}  \n"
        f"label {code(model.label)}, symptoms {code(f'{model.symptom_source}_*')}  \n"
        f"flag when risk >= threshold ({thresholds})"
    )
