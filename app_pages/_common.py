"""What every page shares: the research-tool notice, the model (loaded once per process) and its description.

Only Streamlit glue lives here; what a page computes comes from the library (``models``, ``features``,
``fairness``), which never imports Streamlit.

The model loads in a background thread (:func:`start_loading`, called by ``app.py`` on the first page view), so a
page can draw its form while the model and its libraries (xgboost, scikit-learn, skops, MLflow: seconds on a small
machine) load; :func:`get_model` waits for it, with a spinner, only when an answer needs it. This module imports
none of them at the top, for the same reason.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import streamlit as st

from chestpain.kernel.errors import TriageError

if TYPE_CHECKING:
    from chestpain.models import TriageModel

#: Session-state key of the patient's account (:class:`chestpain.patient.PatientAccount`), set by the patient page and
#: read by the discharge check's pre-fill; here so that the discharge page need not import ``chestpain.patient``.
ACCOUNT = "patient_account"

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


#: Models kept per process (like the ``st.cache_resource(max_entries=4)`` this replaces): one per reference.
MAX_MODELS = 4
#: How long a page's first view waits for a model still loading before drawing its form without it: long enough
#: for a load that fails at once (no model directory, no store) to be reported up front in a warm process, short
#: enough not to hold the form while a cold process imports the model's libraries (seconds).
FIRST_VIEW_WAIT_SECONDS = 0.3
#: Libraries the pages need after the model, imported by the loader thread while a physician fills the form.
#: Each is a package's public name, which loads its module (and that module's libraries) on first use.
PAGE_LIBRARIES = {"chestpain.models": ("what_if", "waterfall_png")}
# One loader thread per process: loads run one at a time, off the script thread, and every session shares them.
_LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-model-loader")
_LOADS: dict[str, Future[TriageModel]] = {}
_LOCK = threading.Lock()
_WARMED: list[Future[None]] = []
#: reference -> (registry version or None for a directory, UTC load time): what the sidebar says was loaded.
_LOADED: dict[str, tuple[str | None, str]] = {}
#: How long the sidebar trusts its last look at where an alias points (a registry read per rerun is wasted work).
ALIAS_CHECK_SECONDS = 30.0
_ALIAS_SEEN: dict[str, tuple[float, str | None]] = {}


def default_reference() -> str:
    """``$TRIAGE_MODEL`` or the champion, as ``chestpain.models.model_reference`` says (without importing it)."""
    return os.environ.get("TRIAGE_MODEL", "").strip() or "models:/chest-pain-triage@champion"


def _load(reference: str) -> TriageModel:
    import datetime as dt

    from chestpain.models import load_app_model

    version = _registry_version(reference)
    model = load_app_model(reference)
    _LOADED[reference] = (version, dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return model


def _registry_version(reference: str) -> str | None:
    """The version a ``models:/`` reference points at now; None for a directory (or when the store cannot say)."""
    if not reference.startswith("models:/"):
        return None
    from chestpain.models import registry_version

    try:
        return str(registry_version(reference).version)
    except TriageError:
        return None


def alias_moved(reference: str) -> str | None:
    """The version ``NAME@ALIAS`` points at now, when that is not the loaded one (checked at most every 30 s)."""
    import time

    if "@" not in reference or reference not in _LOADED:
        return None
    checked, current = _ALIAS_SEEN.get(reference, (0.0, None))
    if time.monotonic() - checked > ALIAS_CHECK_SECONDS:
        current = _registry_version(reference)
        _ALIAS_SEEN[reference] = (time.monotonic(), current)
    loaded = _LOADED[reference][0]
    return current if current is not None and loaded is not None and current != loaded else None


def forget(reference: str) -> None:
    """Drop a loaded model so the next view loads ``reference`` again (the alias moved)."""
    with _LOCK:
        _LOADS.pop(reference, None)
        _LOADED.pop(reference, None)
        _ALIAS_SEEN.pop(reference, None)


def _import_page_libraries() -> None:
    for package, names in PAGE_LIBRARIES.items():
        module = importlib.import_module(package)
        for name in names:
            getattr(module, name)


def start_loading(reference: str | None = None) -> Future[TriageModel]:
    """Start loading ``reference`` in the background unless it is loaded or loading; never waits.

    A failure is not kept: the next call loads again, so training a model fixes the app without a restart.
    """
    reference = reference or default_reference()
    with _LOCK:
        future = _LOADS.get(reference)
        if future is None or (future.done() and future.exception() is not None):
            future = _LOADER.submit(_load, reference)
            _LOADS.pop(reference, None)
            _LOADS[reference] = future
            while len(_LOADS) > MAX_MODELS:  # forget the oldest reference
                del _LOADS[next(iter(_LOADS))]
        return future


def warm_up() -> None:
    """Called by ``app.py`` on every run: the default model, then the pages' libraries, load in the background once."""
    start_loading()
    with _LOCK:
        if not _WARMED:
            _WARMED.append(_LOADER.submit(_import_page_libraries))


def _wait_and_describe(reference: str, future: Future[TriageModel]) -> TriageModel | None:
    try:
        if future.done():
            model = future.result()
        else:
            with st.spinner("Loading the model..."):
                model = future.result()
    except TriageError as error:
        from chestpain.models import TRAIN_HINT

        st.info(f"No model to load: {md(error)}.\n\n{TRAIN_HINT}")
        return None
    describe_model(model, reference)
    return model


def get_model(reference: str | None = None) -> TriageModel | None:
    """The model at ``reference`` (default ``$TRIAGE_MODEL`` or the champion), or None after saying how to train one.

    Waits for a load in progress under a visible spinner.
    """
    reference = reference or default_reference()
    return _wait_and_describe(reference, start_loading(reference))


def model_if_ready(reference: str | None = None) -> TriageModel | None:
    """For a page's first view: the model if it is loaded, None while it is still loading; never waits long.

    While it loads, the page draws its form and calls :func:`get_model` when an answer needs it. A load that has
    failed stops the page after saying how to train a model.
    """
    reference = reference or default_reference()
    future = start_loading(reference)
    try:
        future.exception(timeout=FIRST_VIEW_WAIT_SECONDS)
    except TimeoutError:
        st.sidebar.caption("Loading the model in the background; an answer waits for it.")
        return None
    model = _wait_and_describe(reference, future)
    if model is None:
        st.stop()
    return model


def describe_model(model: TriageModel, reference: str) -> None:
    """The model's name, source and thresholds in the sidebar, so every answer says which model gave it."""
    thresholds = ", ".join(f"{md(sex)} {value:.2%}" for sex, value in model.thresholds.items())
    groups = model.manifest.get("threshold_groups") or []
    lower = " (lower for guaranteed groups: " + ", ".join(md(rule["group"]) for rule in groups) + ")" if groups else ""
    mace = ""
    if model.mace is not None:
        mace_thresholds = ", ".join(f"{md(sex)} {value:.2%}" for sex, value in model.mace.thresholds.items())
        mace = f"  \nor 30-day risk >= threshold ({mace_thresholds})"
    version, loaded_at = _LOADED.get(reference, (None, None))
    loaded = (f"version {code(version)}, " if version else "") + (f"loaded {loaded_at}  \n" if loaded_at else "")
    st.sidebar.markdown(
        f"**Model** {code(model.manifest.get('name', '?'))} from {code(reference)}  \n{loaded}"
        f"label {code(model.label)}, symptoms {code(f'{model.symptom_source}_*')}  \n"
        f"flag when MI risk >= threshold ({thresholds}){lower}{mace}"
    )
    moved = alias_moved(reference)
    if moved is not None:
        st.sidebar.warning(
            f"{code(reference)} now points at version {code(moved)}; this page still uses {code(version)}."
        )
        if st.sidebar.button(f"Load version {moved}", key="reload-model"):
            forget(reference)
            st.rerun()
