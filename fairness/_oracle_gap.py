"""The oracle's own gaps at the model's thresholds: how much of a gap no model of the same record could close.

On simulated data every visit carries ``oracle_mi_probability``, the exact P(MI | everything the record holds).
Flagging it with the model's own decision rule (same thresholds, same groups) gives a reference audit: a
perfectly calibrated, perfectly ranked model of the same record. Where the oracle shows the same gap as the
model, the gap comes from the groups' MI rates or from what the record shows (young women's MIs look less
typical in the chart), not from the model; where only the model shows it, the model adds it (issue 27, item 6).
Point estimates only: the oracle is a reference line, not a second audit, so it gets no tests or flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._groups import build_groups
from ._metrics import CONFUSION_METRICS, confusion_metrics
from ._validation import as_binary

ORACLE_NOTE = (
    "The oracle is the simulator's exact probability of MI given everything the record holds, flagged with the "
    "model's own thresholds: a gap it shares comes from the groups' MI rates or records, not from the model."
)


@dataclass(frozen=True)
class OracleAtThreshold:
    """Confusion-matrix rates of the oracle's flag for every audited group (keys ``(attribute, group)``)."""

    rates: Mapping[tuple[str, str], Mapping[str, float]]
    counts: Mapping[tuple[str, str], tuple[int, int, int, int]]  # tn, fp, fn, tp

    def rate(self, attribute: str, group: str, metric: str) -> float:
        return self.rates.get((attribute, group), {}).get(metric, math.nan)

    def ratio(self, attribute: str, group: str, reference: str, metric: str) -> float:
        """The oracle's rate in ``group`` over its rate in ``reference`` (NaN when undefined)."""
        mine, theirs = self.rate(attribute, group, metric), self.rate(attribute, reference, metric)
        return mine / theirs if theirs > 0 and math.isfinite(mine) else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The ``oracle_at_threshold`` entry of ``metrics.json``."""
        groups = []
        for (attribute, group), rates in self.rates.items():
            tn, fp, fn, tp = self.counts[(attribute, group)]
            groups.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "n_positive": fn + tp,
                    "missed": fn,
                    **{metric: (None if math.isnan(value) else value) for metric, value in rates.items()},
                }
            )
        return {"note": ORACLE_NOTE, "groups": groups}


def oracle_at_threshold(y_true: Any, oracle_flag: Any, *, attributes: Any, by: tuple[str, ...]) -> OracleAtThreshold:
    """Rates of the oracle's flag in the audit's groups (the same groups :func:`audit_predictions` forms)."""
    y = as_binary(y_true, "y_true")
    flag = as_binary(oracle_flag, "oracle_flag", len(y))
    index = build_groups(attributes, by, len(y))
    n_atoms = index.membership.shape[1]
    cell = index.atom_of_row * 4 + y.astype(np.int64) * 2 + flag.astype(np.int64)
    per_atom = np.bincount(cell, minlength=n_atoms * 4).reshape(n_atoms, 2, 2)
    confusion = np.einsum("ga,ayf->gyf", index.membership.astype(np.int64), per_atom)
    metrics = confusion_metrics(confusion)
    rates = {
        key: {metric: float(metrics[metric][g]) for metric in CONFUSION_METRICS} for g, key in enumerate(index.groups)
    }
    counts = {key: tuple(int(v) for v in c.ravel()) for key, c in zip(index.groups, confusion, strict=True)}
    return OracleAtThreshold(rates, counts)
