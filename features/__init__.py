"""Input schema and validation, the UCI loader, clinical scores and the shared feature pipeline.

The public surface is listed here; the code lives in private modules with one job each:

- ``_schemas``: one pandera schema per input kind (cohort table, ED visit batch, UCI table), built from the
  column rules (types, units, plausible ranges and their sources) of ``_rules``;
- ``_validation``: coercion of CSV text and validation with all problems in one message;
- ``_io``: reading CSV/parquet with file-level checks, writing outputs atomically;
- ``_uci``: the md5-checked UCI Heart Disease loader and its harmonisation;
- ``_scores``: HEART, ESC 0/1 h and single-sample rule-out; ``_serial_scores``: ESC 0/2 h and 0/3 h;
- ``_rules``: the column rules as plain data (no pandas), which ``_schemas`` turns into pandera schemas;
- ``_labels``: plain words for columns and model features (no scikit-learn);
- ``_pipeline``: the shared scikit-learn ColumnTransformer and ``FeatureConfig``;
- ``messages`` (public): every error message as a template, for packages that raise the same errors.

Names are imported on first use (PEP 562, with ``lazy_loader``), so ``import chestpain.features.columns`` (which the
simulator does) and the app's first view (``PROMPT_LIST``, ``feature_label``) stay free of pandera and
scikit-learn. Other packages import only the names listed here (``tests/test_layers.py``).
"""

from __future__ import annotations

import lazy_loader

#: Private module -> the names it contributes to the public surface (imported on first use).
_EXPORTS = {
    "_io": (
        "CHUNK_ROWS",
        "check_output_path",
        "iter_valid_chunks",
        "read_table",
        "read_visits",
        "validate_file",
        "write_table",
    ),
    "_pipeline": (
        "FORBIDDEN_FEATURES",
        "COURSE_GROUP",
        "LATER_SAMPLE_FEATURES",
        "ONE_HOUR_DRAWN",
        "TROPONIN_99TH_NG_L",
        "UCI_FEATURE_COLUMNS",
        "FeatureConfig",
        "build_preprocessor",
        "check_feature_columns",
        "feature_columns",
        "feature_labels",
        "monotone_features",
    ),
    # Plain data and words without pandas, pandera or scikit-learn: the app's first page imports only these.
    "_labels": ("RISK_DISPLAY_FLOOR", "feature_label", "risk_text"),
    "_form_text": ("PROMPT_LIST", "field_hint", "more_common_in_women"),
    "_rules": ("COLUMN_RULES", "Rule"),
    "_schemas": ("TableSpec", "cohort_schema", "uci_schema", "uci_spec", "visit_schema", "visit_spec"),
    "_scores": (
        "ESC_CATEGORIES",
        "ESC_CUTOFFS",
        "HEART_COMPONENTS",
        "HEART_LOW_RISK_MAX",
        "LIMIT_OF_DETECTION_NG_L",
        "TROPONIN_BELOW_LOD_NG_L",
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
    "_uci": (
        "UCI_MAPPING",
        "UCI_MD5",
        "UCI_URL",
        "default_uci_source",
        "load_uci",
        "uci_mapping_markdown",
    ),
    "_serial_scores": (
        "ESC_0_2H",
        "ESC_0_3H_CHANGE_SHARE",
        "ESC_PATHWAYS",
        "SERIAL_CATEGORIES",
        "esc_0_2h",
        "esc_0_3h",
        "esc_of_record",
        "esc_readings",
    ),
    "_provenance": ("PROVENANCE_KEY", "read_provenance", "schema_with_provenance"),
    "_upload": ("csv_bytes", "read_table_bytes"),
    "_validation": ("validate_cohort", "validate_table", "validate_uci", "validate_visits"),
}

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs=_EXPORTS)
