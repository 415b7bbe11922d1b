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


@dataclass(frozen=True)
class LeafTable:
    """Every leaf's path padded to one depth, so that all leaves are scored in a few array operations.

    ``features``, ``low``, ``high`` and ``pad`` are (leaves, depth); a padded slot (``pad``) is satisfied by both
    the patient and the reference, so it changes nothing. ``onehot`` (leaves x depth, n_features) sums each
    slot's share into its feature.
    """

    value: np.ndarray  # (L,)
    features: np.ndarray  # (L, D) int64
    low: np.ndarray  # (L, D) float32
    high: np.ndarray  # (L, D) float32
    pad: np.ndarray  # (L, D) bool

    @classmethod
    def of(cls, leaves: list[Leaf]) -> LeafTable:
        depth = max((leaf.features.size for leaf in leaves), default=0)
        shape = (len(leaves), max(depth, 1))
        features = np.zeros(shape, dtype=np.int64)
        low = np.full(shape, -np.inf, dtype=np.float32)
        high = np.full(shape, np.inf, dtype=np.float32)
        pad = np.ones(shape, dtype=bool)
        for i, leaf in enumerate(leaves):  # once per model (cached by FittedEstimator), not per patient
            k = leaf.features.size
            features[i, :k], low[i, :k], high[i, :k], pad[i, :k] = leaf.features, leaf.low, leaf.high, False
        return cls(np.array([leaf.value for leaf in leaves], dtype=np.float64), features, low, high, pad)


#: Patient x leaf x depth cells scored at once: bounds the memory of a large batch (about 40 MB a block).
_BLOCK_CELLS = 4_000_000


def baseline_shapley(model: xgb.Booster | list[Leaf] | LeafTable, x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Shapley values (n, n_features) of each row of ``x`` against ``reference``, in margin (log-odds) units.

    All leaves at once (a :class:`LeafTable`), rows in blocks: one patient costs a few array operations instead
    of a dozen per leaf (the CDS Hooks call explains one patient with two models of hundreds of trees).
    """
    if isinstance(model, xgb.Booster):
        model = tree_leaves(model)
    table = model if isinstance(model, LeafTable) else LeafTable.of(model)
    x32 = np.asarray(x, dtype=np.float32)
    r32 = np.asarray(reference, dtype=np.float32)
    n, d = x32.shape
    n_leaves, depth = table.features.shape
    fact = np.array([factorial(k) for k in range(depth + 1)], dtype=np.float64)
    onehot = np.zeros((n_leaves * depth, d))
    onehot[np.arange(n_leaves * depth), table.features.ravel()] = 1.0
    onehot[table.pad.ravel()] = 0.0
    r_vals = r32[table.features]
    r_ok = ((r_vals >= table.low) & (r_vals < table.high)) | table.pad
    values = np.zeros((n, d))
    block = max(1, _BLOCK_CELLS // max(1, n_leaves * depth))
    for start in range(0, n, block):  # blocks of patients: bounded memory for any batch
        cols = x32[start : start + block][:, table.features]  # (m, L, D)
        x_ok = ((cols >= table.low) & (cols < table.high)) | table.pad
        x_only = x_ok & ~r_ok
        r_only = ~x_ok & r_ok
        live = ~(~x_ok & ~r_ok).any(axis=2)
        a = x_only.sum(axis=2)
        b = r_only.sum(axis=2)
        total = fact[a + b]
        scale = table.value * live
        gain = np.where(a > 0, fact[np.maximum(a - 1, 0)] * fact[b] / total, 0.0) * scale
        loss = np.where(b > 0, fact[a] * fact[np.maximum(b - 1, 0)] / total, 0.0) * scale
        shares = x_only * gain[:, :, None] - r_only * loss[:, :, None]
        values[start : start + block] = shares.reshape(len(cols), -1) @ onehot
    return values
