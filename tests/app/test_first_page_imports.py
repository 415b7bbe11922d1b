"""The discharge form's first view imports only light modules; the heavy ones load behind it (issue 18).

Each check runs in a fresh interpreter (a subprocess), because this test process has long since imported pandas,
scikit-learn and xgboost. The model loader is held, as on a cold server where the model is still loading, so
whatever heavy package is in ``sys.modules`` after the first view was imported by the page itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.app.helpers import REPO_ROOT

#: Packages that cost from a tenth of a second (pyarrow with numpy) to seconds (xgboost, scikit-learn, MLflow) to
#: import on this machine; a bare Streamlit page imports none of them.
HEAVY = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "sklearn",
    "xgboost",
    "skops",
    "pandera",
    "shap",
    "mlflow",
    "matplotlib",
    "fpdf",
)
FIRST_VIEW = """
import json, sys, threading
from chestpain.app import _common

held = threading.Event()
_common._load = lambda reference: held.wait()  # a model still loading, as on a cold server
_common._import_page_libraries = lambda: None  # the pages' libraries too

from streamlit.testing.v1 import AppTest

at = AppTest.from_file("app.py", default_timeout=60).run()
assert not at.exception, at.exception
assert at.button(key="check").label == "Check discharge", "the discharge form was not drawn"
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
held.set()
"""


def _modules_after(code: str) -> set[str]:
    """Top-level package names in ``sys.modules`` after ``code`` runs in a fresh interpreter in the repository."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_first_view_of_the_app_imports_no_heavy_package():
    """``app.py`` routes to the discharge check; drawing its form imports none of ``HEAVY``."""
    imported = _modules_after(FIRST_VIEW)
    assert "chestpain" in imported  # the page did run (FIRST_VIEW checks that the form was drawn)
    assert sorted(imported.intersection(HEAVY)) == []


def test_the_light_modules_import_no_heavy_package():
    code = """
    import json, sys
    import chestpain.features.columns
    from chestpain.features import PROMPT_LIST, field_hint, more_common_in_women
    from chestpain.features import COLUMN_RULES, Rule, feature_label
    print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
    """
    assert sorted(_modules_after(code).intersection(HEAVY)) == []


def test_each_text_has_one_definition():
    """The texts live in light modules; every public name that offers them is the same object."""
    import chestpain.patient
    from chestpain import features
    from chestpain.features import _form_text, _labels, _pipeline, _rules, _schemas
    from chestpain.features.columns import COHORT_COLUMNS, COHORT_SCHEMA

    for name in ("PROMPT_LIST", "field_hint", "more_common_in_women"):
        assert getattr(features, name) is getattr(_form_text, name)
    assert chestpain.patient.more_common_in_women is _form_text.more_common_in_women
    assert _pipeline.feature_label is _labels.feature_label is features.feature_label
    assert _pipeline.NOT_RECORDED == _labels.NOT_RECORDED == "not_recorded"
    for name in ("COLUMN_RULES", "Rule", "UCI_SITES", "UCI_CHEST_PAIN_TYPES", "UCI_ST_SLOPES", "UCI_THALLIUM"):
        assert getattr(_schemas, name) is getattr(_rules, name)
    assert features.COLUMN_RULES is _rules.COLUMN_RULES and features.Rule is _rules.Rule
    assert tuple(COHORT_SCHEMA.names) == COHORT_COLUMNS  # built on first use, from the same list


def test_the_moved_texts_read_as_before():
    """The words the form shows did not change in the move (values from before it; issue 24 added the LoD hint)."""
    from chestpain.features._form_text import PROMPT_LIST, field_hint, more_common_in_women
    from chestpain.features._labels import feature_label

    assert PROMPT_LIST["back_or_jaw_pain"] == "Pain in the back, neck or jaw?"
    assert field_hint("troponin_1h_ng_l") == (  # issue 25: "(missing where not drawn)"
        "hs-cTnI 1 h after presentation in ng/L (missing where not drawn); plausible range 0-100000 ng/L; enter "
        "ng/L, not ng/mL (0.034 ng/mL = 34 ng/L); a result reported as '< 2' (below the limit of detection): enter 1"
    )
    assert [more_common_in_women(name) for name in ("nausea", "chest_pain")] == [True, False]
    assert feature_label("sex_female") == "sex: female"
    assert feature_label("race_not_recorded") == "race: not recorded"
    assert feature_label("missingindicator_cholesterol_mg_dl") == "cholesterol not recorded"
    assert feature_label("doc_fatigue") == "fatigue (charted)"
