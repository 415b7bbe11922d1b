"""Training plots: calibration by sex and the sensitivity / rule-out trade-off by sex (PNG, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = {"female": "#b2182b", "male": "#2166ac"}


def calibration_plot(risk: np.ndarray, y: np.ndarray, sex: pd.Series, out: Path, label: str) -> Path:
    """Observed vs predicted in deciles of predicted risk, per sex, with Wilson-style binomial error bars."""
    sex = sex.astype("string").to_numpy()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = 0.0
    for group in ("female", "male"):
        rows = sex == group
        if rows.sum() < 20:
            continue
        bins = pd.qcut(risk[rows], 10, duplicates="drop")
        frame = pd.DataFrame({"p": risk[rows], "y": y[rows], "bin": bins})
        grouped = frame.groupby("bin", observed=True).agg(p=("p", "mean"), y=("y", "mean"), n=("y", "size"))
        err = 1.96 * np.sqrt(grouped.y * (1 - grouped.y) / grouped.n)
        ax.errorbar(grouped.p, grouped.y, yerr=err, marker="o", ms=4, capsize=2, color=COLORS[group], label=group)
        top = max(top, grouped.p.max(), grouped.y.max())
    ax.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="perfect calibration")
    ax.set_xlabel(f"mean predicted P({label})")
    ax.set_ylabel(f"observed share with {label}")
    ax.set_title("Calibration on the test split, by sex (95% CI)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def threshold_plot(risk: np.ndarray, y: np.ndarray, sex: pd.Series, thresholds: dict[str, float], out: Path) -> Path:
    """Sensitivity and rule-out fraction as the flag threshold moves, per sex; the chosen threshold marked."""
    sex = sex.astype("string").to_numpy()
    grid = np.unique(np.quantile(risk, np.linspace(0, 0.95, 200)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True)
    for group in ("female", "male"):
        rows = sex == group
        positive = y[rows].astype(bool)
        if not positive.any():
            continue
        r = risk[rows]
        sens = np.array([(r[positive] >= t).mean() for t in grid])
        rule_out = np.array([(r < t).mean() for t in grid])
        left.plot(grid, sens, color=COLORS[group], label=group)
        right.plot(grid, rule_out, color=COLORS[group], label=group)
        for axis in (left, right):
            axis.axvline(thresholds.get(group, np.nan), color=COLORS[group], ls=":", lw=1)
    left.axhline(0.99, color="grey", ls="--", lw=1)
    left.set_ylim(0.9, 1.001)
    left.set_title("sensitivity (dotted: chosen threshold)")
    right.set_title("rule-out fraction (not flagged)")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xlabel("flag threshold on calibrated risk")
        axis.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
