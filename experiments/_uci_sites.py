"""Public data by site and sex: train on three UCI Heart Disease sites, test on the fourth (all four rotations).

The label is ``cad``, angiographic coronary artery disease (> 50% narrowing), not myocardial infarction, and the
four sites differ in case mix: CAD prevalence runs from 36% (Hungary) to 93% (Switzerland). Only 194 of 920
patients are women, 10 in Switzerland (all with CAD, so no AUROC exists for them) and 6 in VA.

Each model is trained with its own config on the three training sites (which sets its threshold on their
calibration split); the held-out site is scored with that threshold fixed, as a new hospital would receive it.
Reported per site and sex: AUROC, sensitivity at the fixed threshold, and calibration in the large (mean
predicted risk against the observed CAD rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from chestpain.experiments._common import NAN_ESTIMATE, Estimate, Progress, hanley_mcneil, train_on, wilson
from chestpain.experiments._config import UciSitesConfig
from chestpain.experiments._engine import SILENT, Point, Report, run_points
from chestpain.features import default_uci_source, load_uci
from chestpain.models import TrainConfig

SITES = ("cleveland", "hungarian", "switzerland", "va")
GROUPS = ("overall", "female", "male")
POOLED = "all sites (pooled)"


@dataclass(frozen=True)
class SiteGroup:
    """One model on one held-out site (or all of them pooled) for one group."""

    model: str
    site: str
    group: str
    n: int
    n_cad: int
    auroc: Estimate
    sensitivity: Estimate
    observed: Estimate
    predicted: float


@dataclass(frozen=True)
class UciSitesResult:
    """Every model x held-out site x group, plus each model's out-of-site predictions pooled."""

    seed: int
    n: int
    models: tuple[str, ...]
    thresholds: dict[tuple[str, str], dict[str, float]]  # (model, held-out site) -> threshold by sex
    rows: tuple[SiteGroup, ...]
    women_by_site: dict[str, int]

    def row(self, model: str, site: str, group: str) -> SiteGroup:
        """The result of a model on a site for a group."""
        return next(r for r in self.rows if (r.model, r.site, r.group) == (model, site, group))

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow (undefined ones are left out)."""
        out: dict[str, float] = {}
        for r in self.rows:
            site = "pooled" if r.site == POOLED else r.site
            prefix = f"{r.model}.{site}.{r.group}"
            out[f"{prefix}.auroc"] = r.auroc.value
            out[f"{prefix}.sensitivity"] = r.sensitivity.value
            out[f"{prefix}.predicted_minus_observed"] = r.predicted - r.observed.value
        return {k: v for k, v in out.items() if np.isfinite(v)}


def _group_rows(
    model: str, site: str, y: np.ndarray, risk: np.ndarray, flag: np.ndarray, sex: np.ndarray
) -> list[SiteGroup]:
    rows = []
    for group in GROUPS:
        mask = np.ones(len(y), bool) if group == "overall" else sex == group
        yg, rg = y[mask], risk[mask]
        n_pos, n_neg = int(yg.sum()), int((~yg).sum())
        auroc = hanley_mcneil(roc_auc_score(yg, rg), n_pos, n_neg) if n_pos and n_neg else NAN_ESTIMATE
        rows.append(
            SiteGroup(
                model=model,
                site=site,
                group=group,
                n=int(mask.sum()),
                n_cad=n_pos,
                auroc=auroc,
                sensitivity=wilson(np.count_nonzero(flag[mask] & yg), n_pos),
                observed=wilson(n_pos, int(mask.sum())),
                predicted=float(rg.mean()) if mask.any() else float("nan"),
            )
        )
    return rows


@dataclass(frozen=True)
class HeldOut:
    """One model trained without one site and scored on it (one point): its rows, threshold and predictions."""

    rows: list[SiteGroup]
    thresholds: dict[str, float]
    predictions: pd.DataFrame  # y, risk, flag, sex of the held-out site, for the pooled rows


def held_out_site(table: pd.DataFrame, cfg: TrainConfig, held_out: str, report: Report = SILENT) -> HeldOut:
    """Train ``cfg`` on the other three sites and score ``held_out`` with the model's own threshold."""
    site = table["site"].astype("string").to_numpy()
    train_frame = table[site != held_out].reset_index(drop=True)
    test_frame = table[site == held_out].reset_index(drop=True)
    model = train_on(train_frame, cfg, None, "").model
    features = model.validate(test_frame, source=f"UCI {held_out}")
    risk = model.risk(features)
    flag = model.flag(features, risk)
    y = test_frame["cad"].to_numpy(bool)
    sex = features["sex"].astype("string").to_numpy()
    predictions = pd.DataFrame({"y": y, "risk": risk, "flag": flag, "sex": sex})
    return HeldOut(_group_rows(cfg.name, held_out, y, risk, flag, sex), model.thresholds, predictions)


def run_uci_sites(config: UciSitesConfig, progress: Progress | None = None) -> UciSitesResult:
    """Leave-one-site-out for every model config, one point per (model, held-out site); split seed = seed.

    The table is read here, once, and handed to every point, so workers need no access to the UCI source.
    """
    table = load_uci(config.source if config.source is not None else default_uci_source())
    site = table["site"].astype("string").to_numpy()
    cfgs = [spec.load([f"split.seed={config.seed}"]) for spec in config.models]
    points = [
        Point(f"model{m}-{held_out}", held_out_site, (table, cfg, held_out))
        for m, cfg in enumerate(cfgs)
        for held_out in SITES
    ]
    results = iter(run_points(config, points, progress=progress, description="leave-one-site-out trainings"))
    rows: list[SiteGroup] = []
    thresholds: dict[tuple[str, str], dict[str, float]] = {}
    for cfg in cfgs:
        pooled: list[pd.DataFrame] = []
        for held_out in SITES:
            outcome = next(results)
            rows.extend(outcome.rows)
            thresholds[(cfg.name, held_out)] = outcome.thresholds
            pooled.append(outcome.predictions)
        everything = pd.concat(pooled, ignore_index=True)
        rows.extend(
            _group_rows(
                cfg.name,
                POOLED,
                everything["y"].to_numpy(bool),
                everything["risk"].to_numpy(),
                everything["flag"].to_numpy(bool),
                everything["sex"].to_numpy(),
            )
        )
    women = {s: int(((site == s) & (table["sex"].astype("string").to_numpy() == "female")).sum()) for s in SITES}
    return UciSitesResult(config.seed, len(table), tuple(cfg.name for cfg in cfgs), thresholds, tuple(rows), women)
