"""The shared decision aid shown after the discharge check, in the spirit of Chest Pain Choice.

References
----------
Hess EP, Knoedler MA, Shah ND, et al. The chest pain choice decision aid: a randomized trial. Circ Cardiovasc
Qual Outcomes. 2012;5(3):251-259. (Low-risk ED chest-pain patients; a one-page aid with a 100-person pictograph
of the 45-day risk of acute coronary syndrome; more knowledge and engagement, fewer observation-unit admissions
for stress testing, no difference in major adverse cardiac events in that trial.)

The aid is offered only when neither the model nor the ESC 0/1 h pathway flags the patient; otherwise it explains
why the doctor recommends staying. The 30-day number is honest about where it comes from: the project's models
predict MI at this visit, not a 30-day outcome, so :func:`thirty_day_table` approximates P(death or MI within
30 days | model risk) from a simulated cohort scored by the same model, and says so on the page; with a model not
trained on ED visits it is "not available".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from chestpain.kernel.stats import wilson
from chestpain.patient._catalogue import catalogue
from chestpain.patient._documents import Document, IconArray, Section

ICON_TOTAL = 100
#: Model-risk bands of the 30-day table (P(MI) 0-1). Narrow at the low end, where the aid is used.
RISK_BANDS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.10, 0.20, 0.50, 1.0)
#: Fewer simulated discharged patients than this in the patient's band: the 30-day number is "not available"
#: (at 200 and a rate near 1%, the Wilson interval is about 0.2-3.6%: already wide).
MIN_BAND_N = 200
#: The simulated cohort behind the 30-day approximation: the default scenario, this size and seed.
THIRTY_DAY_N = 200_000  # about 2 s to simulate; enough discharged patients in the 0.5-1% band
THIRTY_DAY_SEED = 2012
NOT_A_VISIT_MODEL = "not available: this model was not trained on ED visits, so it has no 30-day outcome"


def icon_count(risk: float, total: int = ICON_TOTAL) -> int:
    """How many of ``total`` people the icon array colours: the risk in percent rounded half up (2.5% -> 3).

    Decimal arithmetic on the shortest repr of ``risk``, so 0.145 counts as 14.5 -> 15 (binary floating point
    makes 0.145 * 100 = 14.499999999999998).
    """
    if not 0.0 <= risk <= 1.0:
        raise ValueError(f"risk must be in 0-1, got {risk!r}")
    scaled = Decimal(repr(float(risk))) * total
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_text(risk: float) -> str:
    """A risk as the patient reads it: '<0.1%' below 0.1%, one decimal below 10%, whole percent above ('23%').

    Below 0.1% the calibration cannot tell risks apart (``features.RISK_DISPLAY_FLOOR``), as on the clinician's page.
    """
    from chestpain.features import RISK_DISPLAY_FLOOR

    if risk < RISK_DISPLAY_FLOOR:
        return "<0.1%"
    return f"{risk:.1%}" if risk < 0.1 else f"{risk:.0%}"


@dataclass(frozen=True)
class ThirtyDayRisk:
    """P(death or MI within 30 days) for the patient, or why there is none; ``source`` says how it was obtained."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    events: int = 0
    n: int = 0
    band: tuple[float, float] | None = None
    source: str = ""
    #: True when ``value`` is the model's own calibrated P(death, MI or urgent revascularisation within 30 days)
    #: (issue 25), not a simulated table's rate for a band of model risk.
    from_model: bool = False


def thirty_day_table(
    risk: np.ndarray, discharged: np.ndarray, outcome_30d: np.ndarray, bands: tuple[float, ...] = RISK_BANDS
) -> pd.DataFrame:
    """Per model-risk band: simulated patients sent home (``n``), of whom death or MI within 30 days (``events``).

    Only discharged patients count: the aid's question is what happens to people like this patient who go home.
    """
    risk = np.asarray(risk, dtype=float)
    home = np.asarray(discharged, dtype=bool)
    event = np.asarray(outcome_30d, dtype=bool)
    band = np.clip(np.searchsorted(bands, risk, side="right") - 1, 0, len(bands) - 2)
    k = len(bands) - 1
    n = np.bincount(band[home], minlength=k)
    events = np.bincount(band[home & event], minlength=k)
    return pd.DataFrame({"low": bands[:-1], "high": bands[1:], "n": n, "events": events})


def thirty_day_from_table(table: pd.DataFrame, risk: float, *, source: str) -> ThirtyDayRisk:
    """The 30-day rate of the band holding ``risk``, with a Wilson interval; unavailable when the band is thin."""
    row = table[(table["low"] <= risk) & ((risk < table["high"]) | (table["high"] >= 1.0))].iloc[0]
    band = (float(row["low"]), float(row["high"]))
    n, events = int(row["n"]), int(row["events"])
    if n < MIN_BAND_N:
        reason = (
            f"not available: only {n} simulated patients with a model risk of {band[0]:.1%}-{band[1]:.1%} went home "
            f"(fewer than {MIN_BAND_N})"
        )
        return ThirtyDayRisk(None, n=n, events=events, band=band, source=reason)
    estimate = wilson(events, n)
    text = (
        f"approximation from {source}: of {n:,} simulated patients whose risk on this model was "
        f"{band[0]:.1%}-{band[1]:.1%} and who went home, {events:,} died or had a heart attack within 30 days "
        f"({estimate.value:.1%}, 95% CI {estimate.ci_low:.1%}-{estimate.ci_high:.1%}). Simulated, not clinical "
        "evidence; the simulator's 30-day risks are assumptions (configs/simulation/default.yaml, outcomes)."
    )
    return ThirtyDayRisk(estimate.value, estimate.ci_low, estimate.ci_high, events, n, band, text)


def pathway_flags(*, model_flag: bool, esc: str) -> tuple[str, ...]:
    """Why staying is recommended: ``model`` when the model flags, ``esc`` unless ESC 0/1 h rules out."""
    return tuple(name for name, on in (("model", model_flag), ("esc", esc != "rule-out")) if on)


def _icons(lang: str, key: str, risk: float) -> IconArray:
    t = catalogue(lang)
    n = icon_count(risk)
    label = t(f"{key}.icons", n=n) if n >= 1 else t(f"{key}.icons_under_one")
    return IconArray(n, label, ICON_TOTAL)


def decision_aid(lang: str, *, risk: float, flags: tuple[str, ...], thirty_day: ThirtyDayRisk) -> Document:
    """The aid for one checked patient: choices when nothing flags, the reasons to stay when something does."""
    t = catalogue(lang)
    mi = Section(t("aid.mi.heading"), (t("aid.mi.risk", percent=percent_text(risk)),), _icons(lang, "aid.mi", risk))
    back = Section(t("aid.back.heading"), bullets=tuple(t(f"aid.back.{i}") for i in range(1, 5)))
    notes = (t("aid.source"), t("notice"))
    if flags:
        why = Section(
            t("aid.stay_advised.heading"),
            (t("aid.stay_advised.intro"),),
            bullets=tuple(t(f"aid.stay_advised.{name}") for name in flags) + (t("aid.stay_advised.ask"),),
        )
        return Document(t("aid.title"), lang, (why, mi), notes)
    key = "aid.30dm" if thirty_day.from_model else "aid.30d"
    if thirty_day.value is None:
        month = Section(t("aid.30d.heading"), (t("aid.30d.unavailable"),))
    else:
        month = Section(
            t("aid.30d.heading"),
            (t(f"{key}.risk", percent=percent_text(thirty_day.value)),),
            _icons(lang, key, thirty_day.value),
        )
    options = (
        Section(t("aid.options.heading"), (t("aid.choice"),)),
        Section(t("aid.home.heading"), bullets=tuple(t(f"aid.home.{i}") for i in range(1, 4))),
        Section(t("aid.stay.heading"), bullets=tuple(t(f"aid.stay.{i}") for i in range(1, 4))),
    )
    intro = Section(t("aid.mi.heading"), (t("aid.intro"), *mi.paragraphs), mi.icons)
    source: tuple[str, ...] = ()
    if thirty_day.value is not None and thirty_day.from_model:
        source = (t("aid.30dm.source"),)
    elif thirty_day.value is not None:
        source = (
            t(
                "aid.30d.source",
                n=f"{thirty_day.n:,}",
                events=f"{thirty_day.events:,}",
                percent=percent_text(thirty_day.value),
                low=percent_text(thirty_day.ci_low),
                high=percent_text(thirty_day.ci_high),
            ),
        )
    return Document(t("aid.title"), lang, (intro, month, *options, back), (t("aid.icons.legend"), *source, *notes))


def simulated_thirty_day_table(model: object, *, n: int = THIRTY_DAY_N, seed: int = THIRTY_DAY_SEED) -> pd.DataFrame:
    """:func:`thirty_day_table` on a default-scenario cohort of ``n`` visits (``seed``) scored by ``model``.

    A :class:`models.TriageModel` trained on ED visits; the caller checks ``model.dataset == "cohort"`` first.
    """
    from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

    cohort = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), n, seed)
    features = model.validate(cohort, source="30-day table")  # type: ignore[attr-defined]
    risk = model.risk(features)  # type: ignore[attr-defined]
    return thirty_day_table(risk, cohort["discharged"].to_numpy(), cohort["outcome_30d"].to_numpy())


def thirty_day_source(n: int = THIRTY_DAY_N, seed: int = THIRTY_DAY_SEED) -> str:
    """Where :func:`simulated_thirty_day_table` comes from, in words."""
    return f"the default simulated scenario ({n:,} visits, seed {seed})"
