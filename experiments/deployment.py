"""A year of the discharge check deployed on simulated visits, with cards from a real model (``chestpain demo``).

The monitoring study (:mod:`chestpain.experiments.monitoring_study`) draws card indicators at fixed shares to
study the monitor's error control. Here each card comes from a trained model's own answer for one simulated visit
of a cohort it did not train on: ``critical`` when any drawn hs-cTnI reaches the ESC 2020 rule-in level (64 ng/L,
``features.ESC_CUTOFFS``; Collet et al., Eur Heart J 2021), ``warning`` when the model flags the visit, ``info``
otherwise. The CDS card is stricter: it is also critical when ESC rules in by the 1 h change alone, which this
stream counts as a warning or info card. Clinicians override warnings with :data:`BASE_OVERRIDE` and, from week
:data:`GAP_WEEK`, twice as often for women (the seed's mechanism, discounting a woman's account, acting on the
tool's advice). Patients sent home (an info card, or an overridden warning) bring their own simulated outcome
as 30-day follow-up: ``mi`` (index MI missed) and ``mace_30d``. The store is written as the CDS Hooks service
writes it, so ``chestpain monitor`` and the app's Monitoring page read the demo's own feedback. Simulated; not
clinical evidence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chestpain.experiments.monitoring_study import (
    BASE_OVERRIDE,
    FIRST_DAY,
    GAP_RATIO,
    GAP_WEEK,
    WEEKS,
    feedback_cards,
    write_store,
)
from chestpain.features import ESC_CUTOFFS, EscEdition
from chestpain.features.columns import LATER_TROPONIN_COLUMNS, TROPONIN_COLUMNS
from chestpain.kernel.seeding import named_stream

#: Every hs-cTnI a record may hold: 0 h, 1 h, 2 h, 3 h.
ALL_TROPONIN_COLUMNS = (*TROPONIN_COLUMNS, *LATER_TROPONIN_COLUMNS)
STORE_NAME = "hooks-feedback.sqlite"  # the app's Monitoring page default (configs/ehr/hooks.example.yaml)
FOLLOW_UP_NAME = "followup.csv"


def deployment_stream(
    visits: pd.DataFrame,
    flag: np.ndarray,
    rng: np.random.Generator,
    *,
    female_ratio: float = GAP_RATIO,
    gap_week: int = GAP_WEEK,
    weeks: int = WEEKS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cards with feedback, follow-up) for ``visits`` spread evenly over ``weeks``, cards from ``flag``."""
    n = len(visits)
    day_offset = rng.integers(0, 7 * weeks, size=n)
    week = day_offset // 7
    issued = np.datetime64(FIRST_DAY) + day_offset.astype("timedelta64[D]")
    troponin = visits[[c for c in ALL_TROPONIN_COLUMNS if c in visits.columns]].to_numpy(float)
    rule_in = np.nan_to_num(troponin, nan=0.0).max(axis=1) >= ESC_CUTOFFS[EscEdition.esc2020].high
    indicator = np.where(rule_in, "critical", np.where(flag, "warning", "info"))
    sex = visits["sex"].astype(str).to_numpy()
    p_override = np.where((sex == "female") & (week >= gap_week), female_ratio * BASE_OVERRIDE, BASE_OVERRIDE)
    card = np.char.add("demo-", np.arange(n).astype(str))
    race = visits["race"].astype(str).to_numpy()
    age_band = np.where(visits["age"].to_numpy() < 55, "<55", ">=55")
    cards, discharged = feedback_cards(rng, card, indicator, sex, race, age_band, issued, p_override)
    cards = cards.sort_values(["issued", "card"], kind="stable")
    follow = pd.DataFrame(
        {
            "card": card[discharged],
            "mi": visits["mi"].to_numpy(bool)[discharged],
            "mace_30d": visits["mace_30d"].to_numpy(bool)[discharged],
        }
    )
    return cards, follow


def simulate_deployment(model_reference: str, cohort: str | Path, folder: str | Path, *, seed: int) -> dict[str, int]:
    """Score ``cohort`` with the model, write :data:`STORE_NAME` and :data:`FOLLOW_UP_NAME` into ``folder``.

    A store already there is replaced (the same seed gives the same stream). Returns the card counts.
    """
    from chestpain.features import read_table
    from chestpain.models import load_model

    model = load_model(model_reference)
    visits = read_table(cohort)
    features = model.validate(visits, source=Path(cohort).name)
    flag = model.flag(features, model.risk(features))
    cards, follow = deployment_stream(visits, flag, named_stream(seed, "demo.deployment"))
    folder = Path(folder)
    store = folder / STORE_NAME
    store.unlink(missing_ok=True)
    write_store(cards, store)
    follow.to_csv(folder / FOLLOW_UP_NAME, index=False)
    counts = cards["indicator"].value_counts()
    return {"cards": len(cards), **{name: int(counts.get(name, 0)) for name in ("info", "warning", "critical")}}
