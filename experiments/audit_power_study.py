"""Null and power study of the audit's flags, through the function ``chestpain audit --predictions`` calls.

Run::

    python -m chestpain.experiments.audit_power_study --audits 300 --seed 27

Each simulated audit is a table of 20,000 ED visits with known truth (sex, race, age, MI, a risk score and a
yes/no flag), audited by :func:`chestpain.models.audit_table` exactly as ``chestpain audit --predictions
table.csv --label mi --score score --flag flag`` audits it (the command only reads the file first): every
attribute (sex, race, age band, sex x age band), every metric, the default Benjamini-Hochberg rule within the
pre-specified families (primary: missed MI; secondary: the rest). Two arms:

* ``null``: no gap in any metric (MI prevalence, FNR, FPR and score distribution equal in every group);
  reported: the share of audits with ANY flag (issue 27's bound: <= 5%);
* ``power``: FNR 3% in women vs 1% in men (false alarms equal); reported: the share of audits that flag
  female vs male missed MI (issue 27's goal: >= 50%).

It lives in ``experiments/`` (a study with known truth, like the other experiments) rather than ``benchmarks/``
(timings), and is a plain module rather than an experiment kind with a config and results page because its
only inputs are the arm sizes and a seed. Every audit draws from its own stream derived from the seed and the
arm and audit number (``named_stream``), so arms and audit counts do not change each other's draws.

The flag is drawn independently of the score given MI, so AUROC is equal across groups in both arms; the score
is a binormal model (Hanley & McNeil 1982), ``logit risk = 1.3 z - 3.5``, ``z ~ N(2.2 y, 1)``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

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


def simulate_table(rng: np.random.Generator, fnr_female: float, fnr_male: float, n: int = N_ROWS) -> pd.DataFrame:
    """One table of ``n`` visits with known FNR by sex, FPR 30% and MI prevalence 10% in every group."""
    sex = np.where(rng.random(n) < SEX_SHARES["female"], "female", "male")
    race = rng.choice(list(RACE_SHARES), size=n, p=list(RACE_SHARES.values()))
    age = np.where(rng.random(n) < UNDER_55, rng.integers(25, 55, size=n), rng.integers(55, 91, size=n))
    mi = rng.random(n) < PREVALENCE
    score = expit(1.3 * (rng.standard_normal(n) + 2.2 * mi) - 3.5)
    miss = np.where(sex == "female", fnr_female, fnr_male)
    u = rng.random(n)
    flag = np.where(mi, u >= miss, u < FPR)
    return pd.DataFrame({"sex": sex, "race": race, "age": age, "mi": mi, "score": score, "flag": flag})


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


def main(argv: list[str] | None = None) -> dict[str, dict]:
    """Run both arms and print (and optionally write) what they found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=300, help="audits per arm")
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (AUROC, ECE) per audit")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    found = {}
    for arm in ARMS:
        start = time.perf_counter()
        result = run_arm(arm, args.audits, args.seed, n_boot=args.n_boot)
        print(describe(result) + f" [{time.perf_counter() - start:.0f} s]", flush=True)
        found[arm] = asdict(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(found, handle, indent=2)
    return found


if __name__ == "__main__":
    main()
