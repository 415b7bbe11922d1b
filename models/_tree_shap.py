"""Baseline Shapley values of an XGBoost ensemble against one reference patient, exactly and vectorised.

The game is v(S) = f(x_S, r_rest): features in S come from the patient x, the others from the reference r. Per
leaf, a feature on the leaf's path is either satisfied by both (free), by neither (the leaf is unreachable), by
x only (it must be in S) or by r only (it must stay out of S); with a = |x-only| and b = |r-only| the leaf's
value v is shared exactly as ``v (a-1)! b! / (a+b)!`` to each x-only feature and ``-v a! (b-1)! / (a+b)!`` to
each r-only feature (the Shapley values of that unanimity game). Summed over leaves and trees this equals
interventional TreeSHAP with one background row (Lundberg et al., Nat Mach Intell 2020), and the values add up
to f(x) - f(r).

Why not ``shap.TreeExplainer``: importing shap (0.51) raises matplotlib deprecation warnings at import time and
drags in numba; this is forty lines over numpy. ``tests/models/test_explanations.py`` checks it against shap's
interventional explainer and against brute-force enumeration of coalitions.

Why it matters: if the model is monotone increasing in feature j (XGBoost ``monotone_constraints``), every
term of feature j has the sign of x_j - r_j, so a value above the reference's never reads as lowering risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import xgboost as xgb


@dataclass(frozen=True)
class Leaf:
    """One leaf: its value and, per feature on its path, the interval [low, high) that reaches it."""

    value: float
    features: np.ndarray  # (p,) feature indices
    low: np.ndarray  # (p,) float32, -inf when unbounded
    high: np.ndarray  # (p,) float32, +inf when unbounded


def tree_leaves(booster: xgb.Booster) -> list[Leaf]:
    """Every leaf of every tree with its path as per-feature intervals (xgboost sends x < split to 'yes')."""
    frame = booster.trees_to_dataframe()
    names = booster.feature_names
    index = {name: i for i, name in enumerate(names)} if names else None
    rows = {row.ID: row for row in frame.itertuples(index=False)}
    leaves = []
    for tree in frame["Tree"].unique():
        stack: list[tuple[str, dict[int, tuple[float, float]]]] = [(f"{tree}-0", {})]
        while stack:
            node_id, bounds = stack.pop()
            row = rows[node_id]
            if row.Feature == "Leaf":
                features = np.array(sorted(bounds), dtype=np.int64)
                low = np.array([bounds[f][0] for f in features], dtype=np.float32)
                high = np.array([bounds[f][1] for f in features], dtype=np.float32)
                leaves.append(Leaf(float(row.Gain), features, low, high))
                continue
            feature = index[row.Feature] if index else int(str(row.Feature)[1:])
            split = float(np.float32(row.Split))
            low, high = bounds.get(feature, (-np.inf, np.inf))
            stack.append((row.Yes, {**bounds, feature: (low, min(high, split))}))
            stack.append((row.No, {**bounds, feature: (max(low, split), high)}))
    return leaves


def baseline_shapley(model: xgb.Booster | list[Leaf], x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Shapley values (n, n_features) of each row of ``x`` against ``reference``, in margin (log-odds) units."""
    leaves = tree_leaves(model) if isinstance(model, xgb.Booster) else model
    x32 = np.asarray(x, dtype=np.float32)
    r32 = np.asarray(reference, dtype=np.float32)
    n, d = x32.shape
    values = np.zeros((n, d))
    depth = max((leaf.features.size for leaf in leaves), default=0)
    fact = np.array([factorial(k) for k in range(depth + 1)], dtype=np.float64)
    for leaf in leaves:
        if leaf.features.size == 0:
            continue  # a stump's single leaf is part of both f(x) and f(r)
        cols = x32[:, leaf.features]
        x_ok = (cols >= leaf.low) & (cols < leaf.high)
        r_vals = r32[leaf.features]
        r_ok = (r_vals >= leaf.low) & (r_vals < leaf.high)
        x_only = x_ok & ~r_ok
        r_only = ~x_ok & r_ok
        live = ~(~x_ok & ~r_ok).any(axis=1)
        a = x_only.sum(axis=1)
        b = r_only.sum(axis=1)
        total = fact[a + b]
        gain = np.where(a > 0, fact[np.maximum(a - 1, 0)] * fact[b] / total, 0.0) * leaf.value * live
        loss = np.where(b > 0, fact[a] * fact[np.maximum(b - 1, 0)] / total, 0.0) * leaf.value * live
        values[:, leaf.features] += x_only * gain[:, None] - r_only * loss[:, None]
    return values
