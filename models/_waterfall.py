"""The explanation of one prediction as a waterfall: from the reference patient's score to this patient's.

Drawn with matplotlib from :meth:`TriageModel.explain` (baseline Shapley values against the reference patient,
the training medians; older models: TreeSHAP / linear terms from the average), on a ``Figure`` with an Agg
canvas and never through ``pyplot``: no global state, safe in a web server. The bars are per clinical input (the
derived features of one input summed: troponin 0 h in ng/L and as a multiple of the 99th percentile, the 1 h
change, ...), in log-odds, so they add up exactly to the model's score; the calibrated risk is written beside
the last bar because calibration is a monotone map applied after the sum.
"""

from __future__ import annotations

import io
import re
import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chestpain.features import risk_text
from chestpain.models._whatif import PatientAssessment

RAISES = "#d1495b"
LOWERS = "#1b6ca8"
TOTAL = "#555555"
MAX_BARS = 10
#: Labels wrap at this many characters: a troponin course's sentence (about 90) took most of the figure's width,
#: squeezed the bars into a strip and pushed the axis label off the right edge.
LABEL_WIDTH = 50


def _wrapped(text: str) -> str:
    """The label on lines of :data:`LABEL_WIDTH`, never breaking a number from its unit ("3 h", "20 ng/L")."""
    return textwrap.fill(re.sub(r"(\d) (h|ng/L)\b", "\\1\u00a0\\2", text), LABEL_WIDTH)


def waterfall_figure(assessment: PatientAssessment, *, max_bars: int = MAX_BARS) -> Figure:
    """A SHAP-style waterfall of one patient's log-odds contributions, largest first; the rest are summed."""
    shown = list(assessment.contributions[:max_bars])
    rest = assessment.contributions[max_bars:]
    labels = [_wrapped(part.text) for part in shown]
    values = [part.log_odds for part in shown]
    if rest:
        labels.append(f"{len(rest)} other inputs")
        values.append(float(sum(part.log_odds for part in rest)))

    n = len(values)
    figure = Figure(figsize=(7.5, 0.36 * (n + 2) + 1.3), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    starts = assessment.bias + np.concatenate([[0.0], np.cumsum(values)[:-1]])
    y = np.arange(n)[::-1] + 1  # largest contribution at the top, the total at y = 0
    colours = [RAISES if value > 0 else LOWERS for value in values]
    ax.barh(y, values, left=starts, color=colours, height=0.7)
    for yi, start, value in zip(y, starts, values, strict=True):
        # The value just beyond the bar's far end, offset in points so it never overlaps a thin bar.
        ax.annotate(
            f"{value:+.2f}",
            (start + value, yi),
            xytext=(4 if value >= 0 else -4, 0),
            textcoords="offset points",
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=8,
        )
    ax.barh([0], [assessment.score - assessment.bias], left=assessment.bias, color=TOTAL, height=0.7, alpha=0.35)
    ax.axvline(assessment.bias, color=TOTAL, linestyle=":", linewidth=1)
    ax.axvline(assessment.score, color=TOTAL, linestyle="--", linewidth=1)
    ax.set_yticks([*y, 0], [*labels, "this patient (sum)"], fontsize=9)
    ax.set_ylim(-0.6, n + 0.6)
    low = min(assessment.bias, assessment.score, *(starts + np.minimum(values, 0)))
    high = max(assessment.bias, assessment.score, *(starts + np.maximum(values, 0)))
    pad = 0.18 * (high - low or 1.0)
    ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel("log-odds of MI (model score before calibration)", fontsize=9)
    # A figure-level title is centred on the whole figure and given room by the constrained layout; an axes title
    # is centred over the bars only and ran off the right edge beside long labels. The colour key sits in it too:
    # a text inside the axes would cover the smallest bars.
    figure.suptitle(
        f"From the reference patient (score {assessment.bias:+.2f}) to this patient ({assessment.score:+.2f}):"
        f" calibrated risk {risk_text(assessment.risk)}\nred raises risk, blue lowers it: each input's share of"
        " the score\n(a reason is listed only where this patient's own what-if confirms it)",
        fontsize=10,
    )
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def waterfall_png(assessment: PatientAssessment, *, dpi: int = 150) -> bytes:
    """The waterfall as PNG bytes, rendered once (``st.pyplot`` would render twice, at 200 dpi, to crop it)."""
    buffer = io.BytesIO()
    waterfall_figure(assessment).savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
