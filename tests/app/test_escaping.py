"""One rule for the app: text from data, file names, models and configs is shown as text (issue 16, item 3).

The real-browser test (tests/app/test_browser.py) checks the rendered page; these check the helper with a
CommonMark renderer (markdown-it-py, which rich already installs) and the pages through AppTest.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from chestpain.app._common import WORD_JOINER, code, md
from tests.app.helpers import TIMEOUT, run_page, unescape

PAYLOADS = [
    "[Session expired - click](http://example.invalid/x)",
    "![x](http://127.0.0.1:9/img?id=123)",
    '<img src="http://127.0.0.1:9/i?id=1">',
    '<a href="http://example.invalid">log in</a>',
    "<http://example.invalid/autolink>",
    "**bold** _it_ `code` # heading",
    ":red[alarm] :material/warning: $x^2$",
    "[ref]: http://example.invalid\n[ref]",
    "1. list\n- item\n> quote",
    "&lt;img src=x&gt; &#x3C;b&#x3E;",
    "back\\slash [not a link](javascript:alert(1))",
]
RENDERER = MarkdownIt("commonmark", {"html": True})


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_renders_as_the_same_text_with_no_link_image_or_html(payload):
    rendered = RENDERER.render(md(payload))
    assert not re.search(r"<(a|img|b|strong|em|code|h\d|ol|ul|li|blockquote)\b", rendered), rendered
    text = html.unescape(re.sub(r"</?p>", "", rendered)).strip().replace(WORD_JOINER, "")
    assert text == " ".join(payload.splitlines())


@pytest.mark.parametrize("payload", ["see http://example.invalid/x", "www.example.invalid", "mail me@example.invalid"])
def test_md_breaks_what_gfm_would_autolink(payload):
    # GFM autolinks "http://", "www." and "x@host" in plain text even after unescaping; the word joiner breaks them.
    shown = unescape(md(payload).replace(WORD_JOINER, "|"))
    assert not re.search(r"https?://|www\.|@[\w-]", shown), shown


def test_code_fence_outlasts_backticks_in_the_value():
    assert code("a``b") == "``` a``b ```"
    assert RENDERER.render(code("x ``` [l](http://e) y")).count("<code>") == 1
    assert "<a" not in RENDERER.render(code("[l](http://e)"))


def test_batch_page_shows_markup_from_a_cell_and_the_file_name_escaped(app_cohort):
    batch = app_cohort[app_cohort["discharged"]].head(5).astype({"sex": object})
    batch.iloc[0, batch.columns.get_loc("sex")] = PAYLOADS[0]
    at = run_page("batch_discharges.py")
    name = "![x](http:127.0.0.1:9).csv"
    at.file_uploader(key="batch_file").set_value((name, batch.to_csv(index=False).encode(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    shown = at.error[0].value
    assert "](http" not in shown and "![" not in shown  # nothing left that Markdown would link or load
    assert PAYLOADS[0] in unescape(shown) and name in unescape(shown)


def _sidebar_with_a_crafted_model() -> None:
    from types import SimpleNamespace

    from chestpain.app._common import describe_model

    model = SimpleNamespace(
        manifest={"name": "`x` [click](http://example.invalid)"},
        thresholds={"all": 0.01},
        label="mi",
        symptom_source="sx",
        mace=None,
    )
    describe_model(model, "models:/![p](http://127.0.0.1:9/p)@champion")


def test_sidebar_shows_model_name_and_reference_as_code():
    at = AppTest.from_function(_sidebar_with_a_crafted_model, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    rendered = RENDERER.render(at.sidebar.markdown[0].value)
    assert "<a" not in rendered and "<img" not in rendered
    assert "<code>`x` [click](http://example.invalid)</code>" in html.unescape(rendered)
