"""Small groups are shown with their size and marked; comparisons they cannot support are withheld, with why."""

from __future__ import annotations

from chestpain.fairness import MIN_POSITIVES, audit_predictions


def test_small_groups_are_kept_and_marked(predictions):
    # 3,000 visits: ~15 MIs among the 5% "asian" and "other" visits, ~140 among white patients.
    y, risk, flag, attributes = predictions(3000, seed=41)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=200)
    assert MIN_POSITIVES == 30
    by_group = {(entry.attribute, entry.group): entry for entry in result.groups}
    small = [entry for entry in result.groups if entry.n_positive < 30]
    assert {("race", "asian"), ("race", "other")} <= {(entry.attribute, entry.group) for entry in small}
    for entry in result.groups:
        assert entry.reliable is (entry.n_positive >= 30)
    # Shown, with every metric, not dropped.
    asian = by_group[("race", "asian")]
    assert asian.n > 0 and 0 < asian.n_positive < 30
    assert asian.to_dict()["reliable"] is False
    assert asian.to_dict()["fnr"]["value"] is not None
    # A disparity is tested only when both groups pass the expected-event rule for that metric; otherwise it
    # is withheld (never flagged) and says why.
    for entry in result.disparities:
        if entry.metric == "auroc":
            continue
        group, reference = by_group[(entry.attribute, entry.group)], by_group[(entry.attribute, entry.reference)]
        both = group.metric_reliable[entry.metric] and reference.metric_reliable[entry.metric]
        assert entry.reliable is both
        if not both:
            assert not entry.flagged
            assert entry.withheld is not None and "too few events" in entry.withheld
    asian_fnr = result.disparity("race", "asian", "fnr")
    assert not asian_fnr.reliable and "asian" in asian_fnr.withheld
    # The expected-count rule: at the cohort's FNR, the group's MIs must hold >= 10 expected misses.
    overall_fnr = result.group("overall", "all")["fnr"].value
    black = by_group[("race", "black")]
    events, denominator = black.counts["fnr"]
    assert black.metric_reliable["fnr"] is (denominator * overall_fnr >= 10 and denominator * (1 - overall_fnr) >= 10)
    # Tables carry size and positives next to the metric.
    table = result.groups_frame()
    assert list(table.columns[:5]) == ["attribute", "group", "n", "n_positive", "reliable"]
    assert table.loc[(table.attribute == "race") & (table.group == "asian"), "reliable"].item() is False


def test_threshold_for_reliability_is_configurable(predictions):
    y, risk, flag, attributes = predictions(3000, seed=41)
    result = audit_predictions(y, risk, flag, attributes=attributes, by=("race",), n_boot=50, min_positives=500)
    assert not any(entry.reliable for entry in result.groups)
