"""Fairness audit of discharge-risk predictions: subgroup metrics, bootstrap CIs, disparities, mitigation.

``monitor_feedback`` / ``write_monitor_report`` follow a deployed check over time (cards, feedback and 30-day
follow-up by group) with anytime-valid confidence sequences (``_sequential``), for ``chestpain monitor``.

Everything takes predictions as input (labels, risks, flags and sensitive attributes); loading a model and the
``chestpain audit`` command are built on top of this surface.

Examples
--------
>>> result = audit_predictions(y, risk, flag, attributes=cohort[["sex", "race", "age"]])  # doctest: +SKIP
>>> comparison = compare_mitigations(y_cal, risk_cal, y_test, risk_test,
...     sensitive_features_cal=sex_cal, sensitive_features_test=sex_test, missed_mi_cost=50)  # doctest: +SKIP
>>> write_report(result, "report/", mitigations=comparison)  # doctest: +SKIP
"""

from ._audit import DEFAULT_BAND, MIN_POSITIVES, audit_predictions, calibration_edges, flags_from_threshold
from ._bootstrap import multinomial_resamples, percentile_interval
from ._disparities import DISPARITY_METRICS
from ._groups import AGE_BAND_CUTOFF, AGE_BANDS, DEFAULT_ATTRIBUTES, age_band
from ._metrics import GROUP_METRICS
from ._mitigation import (
    TARGET_SENSITIVITY,
    FixedRiskClassifier,
    MitigationComparison,
    MitigationOption,
    OptionGroup,
    compare_mitigations,
    cost_threshold,
    sensitivity_threshold,
    threshold_optimizer_flags,
)
from ._monitor import (
    METRIC_TITLES,
    MONITOR_BAND,
    Alarm,
    MonitorResult,
    check_stream,
    monitor_feedback,
)
from ._monitor_report import next_steps, plot_rates, plot_ratios, render_monitor_html, write_monitor_report
from ._multiplicity import MULTIPLICITY_TITLES, Multiplicity
from ._oracle_gap import OracleAtThreshold, oracle_at_threshold
from ._partitioned import audit_weighted
from ._plots import figure_png, plot_calibration, plot_error_rates, plot_mitigations, plot_tradeoff
from ._reference import expected_calibration_error, reference_metric_frame
from ._report import (
    DIAGNOSED_MI_LABEL_NOTE,
    DISCLAIMER,
    MI_LABEL_NOTE,
    UCI_LABEL_NOTE,
    default_label_note,
    render_html,
    write_report,
)
from ._results import AuditResult, CalibrationBin, Disparity, Estimate, GroupResult, TradeoffCurves
from ._sequential import confidence_sequence, log_e_value

__all__ = [
    "write_monitor_report",
    "render_monitor_html",
    "plot_rates",
    "plot_ratios",
    "next_steps",
    "log_e_value",
    "confidence_sequence",
    "monitor_feedback",
    "check_stream",
    "MonitorResult",
    "Alarm",
    "MONITOR_BAND",
    "METRIC_TITLES",
    "AGE_BANDS",
    "AGE_BAND_CUTOFF",
    "DEFAULT_ATTRIBUTES",
    "DEFAULT_BAND",
    "DIAGNOSED_MI_LABEL_NOTE",
    "DISCLAIMER",
    "DISPARITY_METRICS",
    "GROUP_METRICS",
    "MIN_POSITIVES",
    "MULTIPLICITY_TITLES",
    "MI_LABEL_NOTE",
    "TARGET_SENSITIVITY",
    "UCI_LABEL_NOTE",
    "AuditResult",
    "CalibrationBin",
    "Disparity",
    "Estimate",
    "FixedRiskClassifier",
    "GroupResult",
    "MitigationComparison",
    "MitigationOption",
    "Multiplicity",
    "OptionGroup",
    "OracleAtThreshold",
    "TradeoffCurves",
    "age_band",
    "audit_predictions",
    "audit_weighted",
    "calibration_edges",
    "compare_mitigations",
    "cost_threshold",
    "default_label_note",
    "expected_calibration_error",
    "figure_png",
    "flags_from_threshold",
    "multinomial_resamples",
    "oracle_at_threshold",
    "percentile_interval",
    "plot_calibration",
    "plot_error_rates",
    "plot_mitigations",
    "plot_tradeoff",
    "reference_metric_frame",
    "render_html",
    "sensitivity_threshold",
    "threshold_optimizer_flags",
    "write_report",
]
