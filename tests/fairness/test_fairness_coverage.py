"""Simulation studies with known truth: interval coverage, false flags under no gap, and power.

Every study draws whole audits at the level of counts: a known population of cells (attribute atom, MI, flag)
and ``rng.multinomial(N, cell probabilities)`` per audit, which is exactly the distribution of the confusion
counts of N rows sampled from that population. The audit's own functions then run on those counts (proportion
intervals, the counts-level comparisons and flag decision of ``fairness._disparities``, and for the old
intervals the audit's cell bootstrap and percentile rule), vectorised over audits, so a study of thousands of
audits takes about a second instead of minutes of full 20,000-row audits.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from chestpain.fairness import multinomial_resamples, percentile_interval
from chestpain.fairness._disparities import compare_proportions, decide_flags, proportion_counts
from chestpain.fairness._intervals import detection_power, proportion_interval
from chestpain.fairness._metrics import CONFUSION_METRICS
from chestpain.fairness._multiplicity import family_of

N = 20_000  # an audit the size of one ED-year of chest-pain visits


def _cell_probabilities(shares, prevalence, fnr, fpr) -> np.ndarray:
    """P(atom, label, flag) as an array (atoms, 2, 2) indexed ``[atom, y, flag]``."""
    shares, prevalence, fnr, fpr = (np.asarray(a, dtype=float) for a in (shares, prevalence, fnr, fpr))
    p = np.zeros((len(shares), 2, 2))
    p[:, 1, 0] = shares * prevalence * fnr
    p[:, 1, 1] = shares * prevalence * (1 - fnr)
    p[:, 0, 1] = shares * (1 - prevalence) * fpr
    p[:, 0, 0] = shares * (1 - prevalence) * (1 - fpr)
    return p


# Coverage population: sex x age band. Women under 55 are 10% of visits with an MI prevalence of 2%: about
# 40 MIs per audit and 0.8 expected missed MI at an FNR of 2% (the cell the old intervals fail in); men under
# 55 expect 4.2 misses (the 3-6 cell of issue 15).
COVERAGE_SHARES = [0.10, 0.36, 0.14, 0.40]  # female&<55, female&>=55, male&<55, male&>=55
COVERAGE_PREVALENCE = [0.02, 0.10, 0.10, 0.10]
COVERAGE_FNR = [0.02, 0.03, 0.015, 0.015]
COVERAGE_FPR = [0.40, 0.35, 0.30, 0.30]
# Groups: overall, female, male, <55, >=55 and the four atoms (membership of each atom).
COVERAGE_GROUPS = np.array(
    [[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1], *np.eye(4).tolist()], dtype=float
)
FEMALE_UNDER_55 = 5
R_COVERAGE = 2000
# Monte Carlo SE of a coverage estimate from 2,000 audits at a true 95%: sqrt(0.95 * 0.05 / 2000) = 0.49
# points, so the 93% floor sits 4 SE below nominal (an interval with true 95% coverage fails a cell with
# probability ~3e-5); the percentile intervals' 55% in the rare cell is 80 SE below it.
COVERAGE_FLOOR = 0.93


@pytest.fixture(scope="module")
def coverage_audits():
    p = _cell_probabilities(COVERAGE_SHARES, COVERAGE_PREVALENCE, COVERAGE_FNR, COVERAGE_FPR)
    truth = proportion_counts(np.einsum("ga,ayf->gyf", COVERAGE_GROUPS, p))
    cells = np.random.default_rng(15).multinomial(N, p.ravel(), size=R_COVERAGE).reshape(R_COVERAGE, 4, 2, 2)
    return cells, {name: events / trials for name, (events, trials) in truth.items()}


def _coverage(low: np.ndarray, high: np.ndarray, true: np.ndarray) -> np.ndarray:
    return np.mean((low <= true) & (true <= high), axis=0)


def test_expected_misses_in_the_rare_cell_are_below_one():
    p = _cell_probabilities(COVERAGE_SHARES, COVERAGE_PREVALENCE, COVERAGE_FNR, COVERAGE_FPR)
    assert N * p[0, 1, 0] == pytest.approx(0.8)


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson", "jeffreys"])
def test_count_intervals_cover_every_proportion_in_every_group(coverage_audits, method):
    cells, truth = coverage_audits
    confusion = np.einsum("ga,rayf->rgyf", COVERAGE_GROUPS, cells.astype(float))
    for name, (events, trials) in proportion_counts(confusion).items():
        low, high = proportion_interval(events, trials, 0.05, method)
        coverage = _coverage(low, high, truth[name])
        # Observed (seed 15, Wilson): 93.8-96.7% over all 45 (group, metric) cells.
        assert coverage.min() >= COVERAGE_FLOOR, (method, name, np.round(coverage, 3))
        # Zero misses never give [0, 0].
        zero = events == 0
        assert np.all(high[zero & (trials > 0)] > 0)


def test_percentile_bootstrap_fails_the_same_study(coverage_audits):
    # The audit's previous intervals: its cell bootstrap (multinomial over cells) and percentile rule.
    cells, truth = coverage_audits
    rng = np.random.default_rng(16)
    n_boot, audits = 200, 500  # 500 audits: SE 1 point, enough to show a 40-point shortfall
    hits = np.zeros(len(COVERAGE_GROUPS))
    zero_width = 0
    for counts in cells[:audits]:
        resampled = np.concatenate(list(multinomial_resamples(counts.ravel(), n_boot, rng)))
        confusion = np.einsum("ga,bayf->bgyf", COVERAGE_GROUPS, resampled.reshape(n_boot, 4, 2, 2))
        events, trials = proportion_counts(confusion)["fnr"]
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = percentile_interval(events / trials, 0.95)
        hits += (low <= truth["fnr"]) & (truth["fnr"] <= high)
        zero_width += bool(low[FEMALE_UNDER_55] == high[FEMALE_UNDER_55] == 0)
    coverage = hits / audits
    # Observed: 54.8% (2,000 audits) in the group with 0.8 expected misses; P(no miss) = exp(-0.8) = 45%.
    assert coverage[FEMALE_UNDER_55] < COVERAGE_FLOOR - 0.2
    assert zero_width > 0.3 * audits


# Null and power population: sex x race x age band, 12 atoms; reference groups are the largest.
SEX = {"female": 0.46, "male": 0.54}
RACE = {"white": 0.6, "black": 0.2, "other": 0.2}
AGE = {"<55": 0.35, ">=55": 0.65}
ATOMS = list(itertools.product(SEX, RACE, AGE))
SHARES = np.array([SEX[s] * RACE[r] * AGE[a] for s, r, a in ATOMS])
FEMALE = np.array([s == "female" for s, _, _ in ATOMS])


def _groups() -> tuple[np.ndarray, np.ndarray]:
    """Membership (groups x atoms) and (group, reference) pairs as the audit builds them."""
    rows = [np.ones(len(ATOMS))]
    pairs = []
    for position, levels, reference in ((0, SEX, "male"), (1, RACE, "white"), (2, AGE, ">=55")):
        start = len(rows)
        rows += [np.array([atom[position] == level for atom in ATOMS], dtype=float) for level in levels]
        ref = start + list(levels).index(reference)
        pairs += [(start + k, ref) for k in range(len(levels)) if start + k != ref]
    start = len(rows)
    for s, a in itertools.product(SEX, AGE):
        rows.append(np.array([atom[0] == s and atom[2] == a for atom in ATOMS], dtype=float))
    ref = start + 3  # male&>=55
    pairs += [(start + k, ref) for k in range(3)]
    return np.array(rows), np.array(pairs)


def _flag_study(fnr_female: float, fnr_male: float, audits: int, seed: int, rule: str, split: bool = True):
    """Flags of ``audits`` simulated audits of N rows (every confusion-metric comparison, the audit's rule).

    ``split=False`` adjusts all comparisons as one family (the rule before issue 27), for comparison.
    """
    membership, pairs = _groups()
    p = _cell_probabilities(SHARES, 0.10, np.where(FEMALE, fnr_female, fnr_male), 0.30)
    cells = np.random.default_rng(seed).multinomial(N, p.ravel(), size=audits).reshape(audits, len(ATOMS), 2, 2)
    confusion = np.einsum("ga,rayf->rgyf", membership, cells.astype(float))
    comparisons = [
        compare_proportions(confusion, pairs, metric=m, band=(0.8, 1.25), confidence=0.95, method="wilson")
        for m in CONFUSION_METRICS
    ]
    p_values = np.concatenate([c.p_value for c in comparisons], axis=-1)
    tested = np.concatenate([c.tested for c in comparisons], axis=-1)
    # The audit's pre-specified families: missed MI (FNR) primary, every other metric secondary.
    families = np.repeat([family_of(m).value for m in CONFUSION_METRICS], len(pairs)) if split else None
    _, flagged = decide_flags(p_values, tested, rule=rule, confidence=0.95, families=families)
    return flagged, tested, comparisons


@pytest.mark.parametrize("rule", ["bh", "holm"])
def test_null_audits_rarely_flag_anything(rule):
    # No true gap in any metric. The families: the 7 missed-MI (FNR) comparisons (primary; ~3 pass the
    # reliability rule at an FNR of 2%) and the 28 of the other confusion metrics (secondary; ~24 pass); AUROC
    # comparisons need scores and are left out of this counts-level study (experiments/audit_power_study.py runs
    # whole audits). Rule: a flag needs the rule's adjusted p <= 0.05 within its family.
    flagged, tested, _ = _flag_study(0.02, 0.02, audits=1000, seed=7, rule=rule)
    any_flag = flagged.any(axis=1).mean()
    # Observed (seed 7): 0.8% with BH, 0.7% with Holm (two families); 2.2% with no adjustment. The bound of 5%
    # is issue 27's; with 1,000 audits the Monte Carlo SE at 0.8% is 0.3 points, so 5% is 15 SE away.
    assert any_flag <= 0.05
    assert tested.sum(axis=1).mean() > 20  # the rule did not pass by withholding everything


def test_power_for_fnr_1_vs_3_percent_by_sex_at_20000_rows():
    # FNR 3% in women vs 1% in men (ratio 3), ~920 and ~1,080 MIs. Power = share of 1,000 audits that flag
    # female vs male FNR. With missed MI as its own pre-specified family (7 comparisons, 2.8 tested on average:
    # the others expect fewer than 10 misses) under Benjamini-Hochberg, measured (seed 8): 59.0%; with one
    # family over every comparison (the rule before issue 27, 26.7 tested): 24.7%; with no adjustment 72.9%.
    # The analytic power the audit reports (detectable_ratio's formula at level 0.05 / family size: 53.3%,
    # 25.7%, 69.1%) agrees within Monte Carlo error (SE 1.6 points at 1,000 audits), the normal approximation
    # and BH's gain when other comparisons in the family are true gaps too (women's intersections).
    flagged, tested, comparisons = _flag_study(0.03, 0.01, audits=1000, seed=8, rule="bh")
    sex_fnr = 0  # first pair (female vs male) of the first metric (fnr)
    power_primary = flagged[:, sex_fnr].mean()
    one_family, all_tested, _ = _flag_study(0.03, 0.01, audits=1000, seed=8, rule="bh", split=False)
    power_one_family = one_family[:, sex_fnr].mean()
    unadjusted, _, _ = _flag_study(0.03, 0.01, audits=1000, seed=8, rule="none")
    power_none = unadjusted[:, sex_fnr].mean()
    fnr = comparisons[0]
    n_female, n_male = fnr.group_trials[:, sex_fnr].mean(), fnr.reference_trials[:, sex_fnr].mean()

    def analytic(family: float) -> float:
        args = (3.0, np.array(0.01), np.array(n_female), np.array(n_male), 0.05 / family, 1.25)
        return float(detection_power(*args))

    primary_size = fnr.tested.sum(axis=1).mean()
    # Issue 27's goal: >= 50%. Measured 59.0% (SE 1.6 points), so 50% sits 5.8 SE below; the one-family
    # rule's 25% fails it by far.
    assert power_primary >= 0.50
    assert power_one_family < 0.40
    # BH's rank-1 level is the conservative end: with 2-3 true gaps in the family BH gains up to ~8 points.
    assert analytic(primary_size) - 0.04 <= power_primary <= analytic(primary_size) + 0.12
    assert power_one_family == pytest.approx(analytic(all_tested.sum(axis=1).mean()), abs=0.06)
    assert power_none == pytest.approx(analytic(1.0), abs=0.06)
    assert power_one_family < power_primary < power_none
