"""Input schema and validation, the UCI loader, clinical scores and the shared feature pipeline.

The public surface is listed here; the code lives in private modules with one job each:

- ``_schemas``: one pandera schema per input kind (cohort table, ED visit batch, UCI table), built from the
  column rules (types, units, plausible ranges and their sources) of ``_rules``;
- ``_validation``: coercion of CSV text and validation with all problems in one message;
- ``_io``: reading CSV/parquet with file-level checks, writing outputs atomically;
- ``_uci``: the md5-checked UCI Heart Disease loader and its harmonisation;
- ``_scores``: HEART, ESC 0/1 h and single-sample rule-out;
- ``_rules``: the column rules as plain data (no pandas), which ``_schemas`` turns into pandera schemas;
- ``_labels``: plain words for columns and model features (no scikit-learn);
- ``_pipeline``: the shared scikit-learn ColumnTransformer and ``FeatureConfig``;
- ``_messages``: every error message as a template.

Names are imported on first use (PEP 562), so ``import features.columns`` (which the simulator does) stays
free of pandera and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from features._io import check_output_path, read_table, read_visits, write_table
    from features._labels import feature_label
    from features._pipeline import (
        FORBIDDEN_FEATURES,
        UCI_FEATURE_COLUMNS,
        FeatureConfig,
        build_preprocessor,
        check_feature_columns,
        feature_columns,
        feature_labels,
    )
    from features._rules import COLUMN_RULES, Rule
    from features._schemas import cohort_schema, uci_schema, visit_schema
    from features._scores import (
        ESC_CATEGORIES,
        ESC_CUTOFFS,
        HEART_COMPONENTS,
        HEART_LOW_RISK_MAX,
        EscEdition,
        TroponinPolicy,
        clinical_scores,
        esc_0_1h,
        esc_0_1h_codes,
        heart_age,
        heart_ecg,
        heart_history,
        heart_risk,
        heart_score,
        heart_troponin,
        single_sample_rule_out,
        troponin_upper_limit,
    )
    from features._uci import (
        UCI_MAPPING,
        UCI_MD5,
        UCI_URL,
        default_uci_source,
        load_uci,
        uci_mapping_markdown,
    )
    from features._validation import validate_cohort, validate_uci, validate_visits

_EXPORTS = {
    "features._io": ("check_output_path", "read_table", "read_visits", "write_table"),
    "features._pipeline": (
        "FORBIDDEN_FEATURES",
        "UCI_FEATURE_COLUMNS",
        "FeatureConfig",
        "build_preprocessor",
        "check_feature_columns",
        "feature_columns",
        "feature_labels",
    ),
    # Plain data and words without pandas, pandera or scikit-learn: the app's first page imports only these.
    "features._labels": ("feature_label",),
    "features._rules": ("COLUMN_RULES", "Rule"),
    "features._schemas": ("cohort_schema", "uci_schema", "visit_schema"),
    "features._scores": (
        "ESC_CATEGORIES",
        "ESC_CUTOFFS",
        "HEART_COMPONENTS",
        "HEART_LOW_RISK_MAX",
        "EscEdition",
        "TroponinPolicy",
        "clinical_scores",
        "esc_0_1h",
        "esc_0_1h_codes",
        "heart_age",
        "heart_ecg",
        "heart_history",
        "heart_risk",
        "heart_score",
        "heart_troponin",
        "single_sample_rule_out",
        "troponin_upper_limit",
    ),
    "features._uci": (
        "UCI_MAPPING",
        "UCI_MD5",
        "UCI_URL",
        "default_uci_source",
        "load_uci",
        "uci_mapping_markdown",
    ),
    "features._validation": ("validate_cohort", "validate_uci", "validate_visits"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "COLUMN_RULES",
    "ESC_CATEGORIES",
    "ESC_CUTOFFS",
    "EscEdition",
    "FORBIDDEN_FEATURES",
    "FeatureConfig",
    "HEART_COMPONENTS",
    "HEART_LOW_RISK_MAX",
    "Rule",
    "TroponinPolicy",
    "UCI_FEATURE_COLUMNS",
    "UCI_MAPPING",
    "UCI_MD5",
    "UCI_URL",
    "build_preprocessor",
    "check_feature_columns",
    "check_output_path",
    "clinical_scores",
    "cohort_schema",
    "default_uci_source",
    "esc_0_1h",
    "esc_0_1h_codes",
    "feature_columns",
    "feature_label",
    "feature_labels",
    "heart_age",
    "heart_ecg",
    "heart_history",
    "heart_risk",
    "heart_score",
    "heart_troponin",
    "load_uci",
    "read_table",
    "read_visits",
    "single_sample_rule_out",
    "troponin_upper_limit",
    "uci_mapping_markdown",
    "uci_schema",
    "validate_cohort",
    "validate_uci",
    "validate_visits",
    "visit_schema",
    "write_table",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'features' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
