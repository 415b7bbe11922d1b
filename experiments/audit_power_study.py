"""Null, power and coverage study of the audit, through the function ``chestpain audit --predictions`` calls.

Run::

    python -m chestpain.experiments.audit_power_study --audits 300 --seed 27
    python -m chestpain.experiments.audit_power_study --arms coverage --coverage-audits 600 --seed 27

Each simulated audit is a table of 20,000 ED visits with known truth (sex, race, age, MI, a risk score and a
yes/no flag), audited by :func:`chestpain.models.audit_table` exactly as ``chestpain audit --predictions
table.csv --label mi --score score --flag flag`` audits it (the command only reads the file first): every
attribute (sex, race, age band, sex x age band), every metric, the default Benjamini-Hochberg rule within the
pre-specified families (primary: missed MI; secondary: the rest). Two arms:

* ``null``: no gap in any metric (MI prevalence, FNR, FPR and score distribution equal in every group);
  reported: the share of audits with ANY flag (issue 27's bound: <= 5%);
* ``power``: FNR 3% in women vs 1% in men (false alarms equal); reported: the share of audits that flag
  female vs male missed MI (issue 27's goal: >= 50%);
* ``coverage``: the share of audits whose ECE and AUROC intervals cover the truth, in every group the audit
  reports (issue 27's goal: >= 93%), for three scores of the same visits (``COVERAGE_SCORES``): the study's own
  binormal score (miscalibrated, true ECE 0.036), a calibrated one (true ECE 0) and a nearly calibrated one
  (true ECE 0.004), because an ECE interval is hardest to get right near 0.

It lives in ``experiments/`` (a study with known truth, like the other experiments) rather than ``benchmarks/``
(timings), and is a plain module rather than an experiment kind with a config and results page because its
only inputs are the arm sizes and a seed. Every audit draws from its own stream derived from the seed and the
arm and audit number (``named_stream``), so arms and audit counts do not change each other's draws.

The flag is drawn independently of the score given MI, so AUROC is equal across groups in both arms; the score
is a binormal model (Hanley & McNeil 1982), ``logit risk = 1.3 z - 3.5``, ``z ~ N(2.2 y, 1)``. The truth is
known in closed form, the same in every group (sex, race and age are drawn independently of MI and score):
AUROC ``Phi(2.2 / sqrt 2) = 0.9401`` (any increasing function of ``z`` has the AUROC of ``z``), and the ECE for
the audit's own bins (its reported ``calibration_edges``, deciles of the audited cohort's risk),
``sum_b |P(MI, bin b) - E[risk; bin b]|``, integrated over the mixture ``0.9 N(0, 1) + 0.1 N(2.2, 1)`` of ``z``
(``true_ece``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate
from scipy.special import expit, logit
from scipy.stats import norm

from chestpain.kernel.seeding import named_stream
from chestpain.models import audit_table

N_ROWS = 20_000  # about one ED-year of chest-pain visits
PREVALENCE = 0.10
FPR = 0.30
SEX_SHARES = {"female": 0.46, "male": 0.54}
# The simulator's default ED mix (configs/simulation/default.yaml), so an audit makes as many comparisons as
# the demo's: 5 races, 4 sex x age groups.
RACE_SHARES = {"white": 0.58, "black": 0.22, "hispanic": 0.13, "asian": 0.04, "other": 0.03}
UNDER_55 = 0.35
ARMS = {"null": (0.02, 0.02), "power": (0.03, 0.01)}  # (FNR women, FNR men)
SEPARATION = 2.2  # z ~ N(SEPARATION * mi, 1)
STUDY_SCORE = (1.3, -3.5)  # logit risk = slope * z + intercept
# P(MI | z) has logit SEPARATION * z - SEPARATION^2 / 2 + logit(PREVALENCE): the calibrated score.
_CALIBRATED = (SEPARATION, -(SEPARATION**2) / 2 + float(logit(PREVALENCE)))
COVERAGE_SCORES = {
    "study score": STUDY_SCORE,
    "calibrated": _CALIBRATED,
    "nearly calibrated": (0.95 * _CALIBRATED[0], 0.95 * _CALIBRATED[1]),  # logit shrunk by 5%
}


def simulate_table(
    rng: np.random.Generator,
    fnr_female: float,
    fnr_male: float,
    n: int = N_ROWS,
    *,
    score: tuple[float, float] = STUDY_SCORE,
) -> pd.DataFrame:
    """One table of ``n`` visits with known FNR by sex, FPR 30% and MI prevalence 10% in every group.

    ``score`` is ``(slope, intercept)`` of ``logit risk`` on ``z``; the default is the null and power arms' score.
    """
    sex = np.where(rng.random(n) < SEX_SHARES["female"], "female", "male")
    race = rng.choice(list(RACE_SHARES), size=n, p=list(RACE_SHARES.values()))
    age = np.where(rng.random(n) < UNDER_55, rng.integers(25, 55, size=n), rng.integers(55, 91, size=n))
    mi = rng.random(n) < PREVALENCE
    slope, intercept = score
    risk = expit(slope * (rng.standard_normal(n) + SEPARATION * mi) + intercept)
    miss = np.where(sex == "female", fnr_female, fnr_male)
    u = rng.random(n)
    flag = np.where(mi, u >= miss, u < FPR)
    return pd.DataFrame({"sex": sex, "race": race, "age": age, "mi": mi, "score": risk, "flag": flag})


@dataclass(frozen=True)
class ArmResult:
    """What one arm of the study found; shares come with their binomial Monte Carlo standard error."""

    arm: str
    audits: int
    fnr_female: float
    fnr_male: float
    any_flag: float
    any_primary_flag: float
    any_secondary_flag: float
    sex_fnr_flagged: float
    mean_primary_tested: float
    mean_secondary_tested: float
    mean_comparisons: float

    def se(self, share: float) -> float:
        """Monte Carlo standard error of a share estimated from this arm's audits."""
        return math.sqrt(share * (1.0 - share) / self.audits)


def run_arm(arm: str, audits: int, seed: int, *, n: int = N_ROWS, n_boot: int = 200) -> ArmResult:
    """``audits`` audits of the arm's population through :func:`chestpain.models.audit_table`."""
    fnr_female, fnr_male = ARMS[arm]
    any_flag, primary, secondary, sex_fnr = [], [], [], []
    tested_primary, tested_secondary, comparisons = [], [], []
    for k in range(audits):
        table = simulate_table(named_stream(seed, f"audit_power_study.{arm}.{k}"), fnr_female, fnr_male, n)
        result = audit_table(table, label="mi", score="score", flag="flag", source="simulated", n_boot=n_boot, seed=k)
        audit = result.result
        any_flag.append(bool(audit.flagged))
        primary.append(any(d.family == "primary" for d in audit.flagged))
        secondary.append(any(d.family == "secondary" for d in audit.flagged))
        sex_fnr.append(audit.disparity("sex", "female", "fnr").flagged)
        tested_primary.append(audit.family_sizes["primary"])
        tested_secondary.append(audit.family_sizes["secondary"])
        comparisons.append(audit.n_comparisons)
    return ArmResult(
        arm=arm,
        audits=audits,
        fnr_female=fnr_female,
        fnr_male=fnr_male,
        any_flag=float(np.mean(any_flag)),
        any_primary_flag=float(np.mean(primary)),
        any_secondary_flag=float(np.mean(secondary)),
        sex_fnr_flagged=float(np.mean(sex_fnr)),
        mean_primary_tested=float(np.mean(tested_primary)),
        mean_secondary_tested=float(np.mean(tested_secondary)),
        mean_comparisons=float(np.mean(comparisons)),
    )


def describe(result: ArmResult) -> str:
    """One paragraph per arm: the headline share with its Monte Carlo SE and the family sizes."""
    if result.arm == "null":
        headline = f"audits with any flag {result.any_flag:.1%} (SE {result.se(result.any_flag):.1%})"
    else:
        headline = (
            f"female vs male missed MI flagged in {result.sex_fnr_flagged:.1%} of audits "
            f"(SE {result.se(result.sex_fnr_flagged):.1%})"
        )
    return (
        f"{result.arm}: {result.audits} audits of {N_ROWS:,} rows, FNR women {result.fnr_female:.0%} / men "
        f"{result.fnr_male:.0%}: {headline}; any primary flag {result.any_primary_flag:.1%}, any secondary flag "
        f"{result.any_secondary_flag:.1%}; tested comparisons per audit {result.mean_comparisons:.1f} "
        f"(primary {result.mean_primary_tested:.1f}, secondary {result.mean_secondary_tested:.1f})"
    )


def true_auroc() -> float:
    """AUROC of any increasing function of ``z``: ``Phi(SEPARATION / sqrt 2)`` (binormal, equal variances)."""
    return float(norm.cdf(SEPARATION / math.sqrt(2.0)))


def _mixture_pdf(z: float) -> float:
    return (1.0 - PREVALENCE) * norm.pdf(z) + PREVALENCE * norm.pdf(z - SEPARATION)


def true_ece(edges: tuple[float, ...] | np.ndarray, score: tuple[float, float]) -> float:
    """Population ECE of the score ``(slope, intercept)`` for calibration bins ``[edges_i, edges_i+1)`` of risk.

    Per bin, the MI probability mass ``P(MI, bin)`` (closed form) against the risk mass ``E[risk; bin]`` (numerical
    integral over the mixture density of ``z``); the ECE is the sum of their absolute differences, which is
    ``sum_b P(bin) |P(MI | bin) - E[risk | bin]|``, the audit's definition with the population in place of the
    sample. The same in every group, since group membership is independent of ``z`` and MI.
    """
    slope, intercept = score
    with np.errstate(divide="ignore"):
        z_edges = (logit(np.asarray(edges, dtype=np.float64)) - intercept) / slope  # -inf and +inf at 0 and 1
    total = 0.0
    for low, high in zip(z_edges[:-1], z_edges[1:], strict=True):
        events = PREVALENCE * (norm.cdf(high - SEPARATION) - norm.cdf(low - SEPARATION))
        risk_mass = integrate.quad(lambda z: expit(slope * z + intercept) * _mixture_pdf(z), low, high)[0]
        total += abs(events - risk_mass)
    return total


@dataclass(frozen=True)
class CellCoverage:
    """How often one group's ECE and AUROC intervals covered the truth, over the audits that gave one."""

    attribute: str
    group: str
    mean_n: float
    mean_positives: float
    ece_audits: int
    ece_coverage: float
    ece_mean_width: float
    auroc_audits: int
    auroc_coverage: float
    auroc_mean_width: float

    @staticmethod
    def se(share: float, audits: int) -> float:
        """Binomial Monte Carlo standard error of a coverage share."""
        return math.sqrt(share * (1.0 - share) / audits) if audits else float("nan")


def run_coverage(
    name: str, audits: int, seed: int, *, n: int = N_ROWS, n_boot: int = 200
) -> tuple[float, list[CellCoverage]]:
    """``audits`` audits of tables scored by ``COVERAGE_SCORES[name]``; returns the mean true ECE and every cell.

    Rows and flags are drawn as in the null arm, each audit from its own stream (``coverage.<name>.<k>``). A cell's
    coverage counts only the audits that gave an interval; ``*_audits`` says how many did (AUROC has none below
    100 positives or negatives, by the audit's rule).
    """
    score = COVERAGE_SCORES[name]
    auroc = true_auroc()
    rows: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    truths = []
    for k in range(audits):
        rng = named_stream(seed, f"audit_power_study.coverage.{name}.{k}")
        table = simulate_table(rng, *ARMS["null"], n, score=score)
        result = audit_table(table, label="mi", score="score", flag="flag", source="simulated", n_boot=n_boot, seed=k)
        audit = result.result
        ece = true_ece(audit.calibration_edges, score)
        truths.append(ece)
        for entry in audit.groups:
            e, a = entry.metrics["ece"], entry.metrics["auroc"]
            rows.setdefault((entry.attribute, entry.group), []).append(
                (
                    entry.n,
                    entry.n_positive,
                    e.ci_low <= ece <= e.ci_high,
                    e.ci_high - e.ci_low,
                    a.ci_low <= auroc <= a.ci_high,
                    a.ci_high - a.ci_low,
                )
            )
    cells = []
    for (attribute, group), values in rows.items():
        data = np.array(values, dtype=np.float64)
        ece_given = np.isfinite(data[:, 3])
        auroc_given = np.isfinite(data[:, 5])
        cells.append(
            CellCoverage(
                attribute=attribute,
                group=group,
                mean_n=float(data[:, 0].mean()),
                mean_positives=float(data[:, 1].mean()),
                ece_audits=int(ece_given.sum()),
                ece_coverage=float(data[ece_given, 2].mean()) if ece_given.any() else float("nan"),
                ece_mean_width=float(data[ece_given, 3].mean()) if ece_given.any() else float("nan"),
                auroc_audits=int(auroc_given.sum()),
                auroc_coverage=float(data[auroc_given, 4].mean()) if auroc_given.any() else float("nan"),
                auroc_mean_width=float(data[auroc_given, 5].mean()) if auroc_given.any() else float("nan"),
            )
        )
    return float(np.mean(truths)), cells


def coverage_markdown(found: dict[str, dict]) -> str:
    """The coverage arm as Markdown tables, one per score, with Monte Carlo standard errors."""
    lines = [
        "# Coverage of the audit's ECE and AUROC intervals (issue 27, item 5)",
        "",
        "Written by `python -m chestpain.experiments.audit_power_study --arms coverage --coverage-audits N --seed S "
        "--json experiments/results/audit_power_study.json --markdown experiments/results/audit_power_study.md` "
        "(the module docstring gives the model). Simulated data with known truth, not clinical evidence. "
        f"True AUROC {true_auroc():.4f} in every group; a coverage counts the audits that gave an interval "
        "(Monte Carlo SE in brackets, points); widths are mean interval widths.",
    ]
    for name, arm in found.items():
        lines += [
            "",
            f"**{name}** (true ECE {arm['true_ece']:.4f}; {arm['audits']} audits of {N_ROWS:,} rows, "
            f"{arm['n_boot']} resamples each)",
            "",
            "| group | rows | MI | ECE coverage | ECE width | AUROC coverage | AUROC width |",
            "|---|---|---|---|---|---|---|",
        ]
        for cell in arm["cells"]:
            ece_se = 100 * CellCoverage.se(cell["ece_coverage"], cell["ece_audits"])
            auroc = "no interval (< 100 MI)"
            if cell["auroc_audits"]:
                auroc_se = 100 * CellCoverage.se(cell["auroc_coverage"], cell["auroc_audits"])
                auroc = f"{cell['auroc_coverage']:.1%} ({auroc_se:.1f})"
                if cell["auroc_audits"] < arm["audits"]:
                    auroc += f" in {cell['auroc_audits']} audits"
            auroc_width = f"{cell['auroc_mean_width']:.4f}" if cell["auroc_audits"] else "-"
            lines.append(
                f"| {cell['group']} | {cell['mean_n']:,.0f} | {cell['mean_positives']:,.0f} | "
                f"{cell['ece_coverage']:.1%} ({ece_se:.1f}) | {cell['ece_mean_width']:.4f} | {auroc} | {auroc_width} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, dict]:
    """Run the chosen arms and print (and optionally write) what they found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", nargs="+", choices=[*ARMS, "coverage"], default=[*ARMS], help="arms to run")
    parser.add_argument("--audits", type=int, default=300, help="audits per null / power arm")
    parser.add_argument("--coverage-audits", type=int, default=600, help="audits per score of the coverage arm")
    parser.add_argument("--scores", nargs="+", choices=list(COVERAGE_SCORES), default=list(COVERAGE_SCORES))
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (ECE, AUROC gaps) per audit")
    parser.add_argument("--json", default=None, help="write the results to this JSON file (arms not run are kept)")
    parser.add_argument("--markdown", default=None, help="write the coverage arm's tables to this Markdown file")
    args = parser.parse_args(argv)
    found: dict[str, dict] = {}
    if args.json and Path(args.json).exists():
        found = json.loads(Path(args.json).read_text(encoding="utf-8"))
    for arm in (arm for arm in ARMS if arm in args.arms):
        start = time.perf_counter()
        result = run_arm(arm, args.audits, args.seed, n_boot=args.n_boot)
        print(describe(result) + f" [{time.perf_counter() - start:.0f} s]", flush=True)
        found[arm] = asdict(result)
    if "coverage" in args.arms:
        coverage = found.setdefault("coverage", {})
        for name in args.scores:
            start = time.perf_counter()
            truth, cells = run_coverage(name, args.coverage_audits, args.seed, n_boot=args.n_boot)
            coverage[name] = {
                "audits": args.coverage_audits,
                "n_boot": args.n_boot,
                "seed": args.seed,
                "score": list(COVERAGE_SCORES[name]),
                "true_ece": truth,
                "true_auroc": true_auroc(),
                "cells": [asdict(cell) for cell in cells],
            }
            worst_ece = min(cell.ece_coverage for cell in cells)
            worst_auroc = min((cell.auroc_coverage for cell in cells if cell.auroc_audits), default=float("nan"))
            print(
                f"coverage, {name}: {args.coverage_audits} audits, lowest ECE coverage {worst_ece:.1%}, lowest AUROC "
                f"coverage {worst_auroc:.1%} [{time.perf_counter() - start:.0f} s]",
                flush=True,
            )
        if args.markdown:
            Path(args.markdown).write_text(coverage_markdown(coverage), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(strict_json(found), indent=2) + "\n", encoding="utf-8")
    return found


def strict_json(value: object) -> object:
    """``value`` with every non-finite float (a coverage with no interval given) as ``None``: strict JSON."""
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


if __name__ == "__main__":
    main()
