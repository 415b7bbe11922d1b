"""Load the four UCI Heart Disease sites (processed subsets) and harmonise them to the cohort-table names.

Every file is md5-checked against the values published in ``../shared/data/uci-heart-disease/SOURCES.md``
before it is parsed, whether it comes from a folder or over http(s), so a damaged download or a different
version of the data can never become a training set silently.

The label is ``cad``: angiographic coronary artery disease (``num > 0``, > 50 % diameter narrowing). It is
*not* myocardial infarction, and a model trained on it predicts chronic disease at angiography, not an acute
event at an ED visit. See ``UCI_MAPPING`` for what each harmonised column means and where it falls short.

References
----------
Janosi A, Steinbrunn W, Pfisterer M, Detrano R. Heart Disease. UCI Machine Learning Repository, 1988.
doi:10.24432/C52P4X (CC BY 4.0).
Detrano R, Janosi A, Steinbrunn W, et al. International application of a new probability algorithm for the
diagnosis of coronary artery disease. American Journal of Cardiology, 1989;64(5):304-310.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from chestpain.features import messages as msg
from chestpain.features._schemas import UCI_CHEST_PAIN_TYPES, UCI_SITES, UCI_ST_SLOPES, UCI_THALLIUM, uci_spec
from chestpain.features._validation import validate_table
from chestpain.kernel.errors import TriageError

UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/heart-disease/"
#: Published md5 of each site's file (SOURCES.md); a test keeps the two in step.
UCI_MD5: Mapping[str, str] = {
    "cleveland": "2d91a8ff69cfd9616aa47b59d6f843db",
    "hungarian": "22e96bee155b5973568101c93b3705f6",
    "switzerland": "9a87f7577310b3917730d06ba9349e20",
    "va": "4249d03ca7711e84f4444768c9426170",
}
UCI_RAW_COLUMNS = (
    "age",
    "sex",
    "cp",
    "trestbps",
    "chol",
    "fbs",
    "restecg",
    "thalach",
    "exang",
    "oldpeak",
    "slope",
    "ca",
    "thal",
    "num",
)
#: Each processed file is under 20 kB; anything much larger is not one.
MAX_DOWNLOAD_BYTES = 1_000_000
DEFAULT_TIMEOUT_SECONDS = 30.0

#: How each harmonised column is derived, and its limits (the README table is generated from this).
UCI_MAPPING: tuple[tuple[str, str, str], ...] = (
    ("patient_id", "row number 1-920 over the sites in the order below", "not a UCI identifier"),
    (
        "site",
        "which file: cleveland, hungarian, switzerland, va",
        "case mix and CAD prevalence differ by site",
    ),
    ("site_row", "line number in that site's file (1-based)", "for tracing a row back to the source"),
    ("age", "age (years)", "-"),
    ("sex", "sex: 1 -> male, 0 -> female", "only 194 of 920 rows are women (Switzerland 10, VA 6)"),
    (
        "chest_pain_type",
        "cp: 1 typical_angina, 2 atypical_angina, 3 non_anginal_pain, 4 asymptomatic",
        "a clinician's classification of the history, not a list of symptoms",
    ),
    (
        "sx_chest_pain",
        "cp in 1-3 (any chest pain)",
        "the cohort's other symptom columns (radiation, nausea, ...) are not recorded",
    ),
    (
        "systolic_bp",
        "trestbps: resting systolic BP on admission (mmHg); 0 -> missing",
        "measured on admission for angiography, not at ED triage; one VA row has 0",
    ),
    (
        "cholesterol_mg_dl",
        "chol (mg/dL); the placeholder 0 -> missing",
        "missing for all of Switzerland and 56 VA rows; hyperlipidemia is not derived from it",
    ),
    (
        "fasting_glucose_over_120",
        "fbs: fasting blood sugar > 120 mg/dL",
        "not the cohort's diabetes (diabetes is >= 126 mg/dL or treatment), so kept under its own name",
    ),
    (
        "ecg",
        "restecg: 0 normal, 1 ischemic (ST-T abnormality > 0.05 mV), 2 nonspecific (LVH by Estes' criteria)",
        "resting ECG, not the ED ECG; code 1 includes isolated T-wave inversion, which HEART scores as nonspecific",
    ),
    (
        "max_heart_rate_exercise",
        "thalach: maximum heart rate on the exercise test",
        "NOT triage heart rate, so not mapped to heart_rate",
    ),
    (
        "sx_exertional",
        "exang: angina induced by the exercise test",
        "provoked on a treadmill, not the patient's account of exertional pain",
    ),
    ("st_depression_exercise_mm", "oldpeak: exercise ST depression (mm)", "negative values occur"),
    ("st_slope", "slope: 1 upsloping, 2 flat, 3 downsloping", "mostly missing outside Cleveland"),
    (
        "fluoroscopy_vessels",
        "ca: vessels (0-3) coloured by fluoroscopy",
        "measured at the angiography that defines the label, so never a feature; mostly missing outside Cleveland",
    ),
    (
        "thallium",
        "thal: 3 normal, 6 fixed_defect, 7 reversible_defect",
        "a stress-imaging result, not available in the ED; mostly missing outside Cleveland",
    ),
    (
        "cad",
        "num > 0: > 50 % diameter narrowing on angiography",
        "angiographic CAD, NOT myocardial infarction; num 1-4 severity is not kept",
    ),
)

_SEX = {0: "female", 1: "male"}
_CHEST_PAIN = dict(zip((1, 2, 3, 4), UCI_CHEST_PAIN_TYPES, strict=True))
_ECG = {0: "normal", 1: "ischemic", 2: "nonspecific"}
_SLOPE = dict(zip((1, 2, 3), UCI_ST_SLOPES, strict=True))
_THALLIUM = dict(zip((3, 6, 7), UCI_THALLIUM, strict=True))
_BOOL = {0: False, 1: True}


def default_uci_source() -> Path | str:
    """``../shared/data/uci-heart-disease`` beside the repository when it exists, else the canonical URL."""
    local = Path(__file__).resolve().parents[2] / "shared" / "data" / "uci-heart-disease"
    return local if local.is_dir() else UCI_URL


def load_uci(source: str | os.PathLike[str] | None = None, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> pd.DataFrame:
    """Load, md5-check and harmonise the four UCI Heart Disease sites into one table.

    Parameters
    ----------
    source : str or path-like, optional
        A folder holding ``processed.<site>.data`` for all four sites, or an http(s) base URL under which they
        live (such as ``UCI_URL``). Default: :func:`default_uci_source`.
    timeout : float, default=30.0
        Seconds to wait for each download before giving up.

    Returns
    -------
    pandas.DataFrame
        920 rows (Cleveland 303, Hungarian 294, Switzerland 123, VA 200) with the columns of ``UCI_MAPPING``;
        missing values (``?`` and the ``chol = 0`` / ``trestbps = 0`` placeholders) are missing.

    Raises
    ------
    TriageError
        A file is missing, cannot be downloaded, or fails its md5 check.

    References
    ----------
    Janosi A, Steinbrunn W, Pfisterer M, Detrano R. Heart Disease. UCI Machine Learning Repository, 1988.
    doi:10.24432/C52P4X.

    Examples
    --------
    >>> table = load_uci()  # doctest: +SKIP
    >>> table.groupby("site").size().to_dict()  # doctest: +SKIP
    {'cleveland': 303, 'hungarian': 294, 'switzerland': 123, 'va': 200}
    """
    source = default_uci_source() if source is None else source
    frames = []
    for site in UCI_SITES:
        name = f"processed.{site}.data"
        data, where = _fetch(source, name, timeout)
        _check_md5(data, name, UCI_MD5[site])
        frames.append(_harmonise(_parse(data), site))
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "patient_id", np.arange(1, len(table) + 1, dtype=np.int64))
    return validate_table(table, uci_spec(), source="UCI table")


def _fetch(source: str | os.PathLike[str], name: str, timeout: float) -> tuple[bytes, str]:
    text = os.fspath(source)
    if text.lower().startswith(("http://", "https://")):
        url = text if text.endswith("/") else f"{text}/"
        return _download(url + name, timeout), url + name
    folder = Path(text)
    if not folder.is_dir():
        raise TriageError(msg.UCI_BAD_SOURCE.format(source=text))
    path = folder / name
    if not path.is_file():
        raise TriageError(msg.UCI_FILE_MISSING.format(source=folder, file=name, sites=", ".join(UCI_SITES)))
    return path.read_bytes(), str(path)


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "chest-pain-triage"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_DOWNLOAD_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        reason = f"HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        timed_out = isinstance(error.reason, TimeoutError)
        reason = f"no answer within {timeout:g} s" if timed_out else str(error.reason)
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except (OSError, http.client.HTTPException) as error:
        reason = f"{type(error).__name__}: {error}"
    else:
        if len(data) > MAX_DOWNLOAD_BYTES:
            raise TriageError(msg.UCI_TOO_LARGE.format(url=url, limit=MAX_DOWNLOAD_BYTES))
        return data
    raise TriageError(msg.UCI_DOWNLOAD_FAILED.format(url=url, reason=reason))


def _check_md5(data: bytes, name: str, expected: str) -> None:
    actual = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if actual != expected:
        raise TriageError(msg.UCI_MD5_MISMATCH.format(file=name, actual=actual, expected=expected, url=UCI_URL + name))


def _parse(data: bytes) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(data), header=None, names=list(UCI_RAW_COLUMNS), na_values=["?"], keep_default_na=False
    )


def _decode(codes: pd.Series, mapping: Mapping[int, object]) -> pd.Series:
    """Map numeric codes to values; a code outside ``mapping`` is a bug in this table, not missing data."""
    decoded = codes.map(mapping)
    unknown = codes.notna() & decoded.isna()
    if unknown.any():
        raise ValueError(f"undocumented code(s) {sorted(codes[unknown].unique())} for {codes.name}")
    return decoded


def _harmonise(raw: pd.DataFrame, site: str) -> pd.DataFrame:
    """One site's raw columns -> harmonised columns (see ``UCI_MAPPING``)."""
    return pd.DataFrame(
        {
            "site": site,
            "site_row": np.arange(1, len(raw) + 1),
            "age": raw["age"],
            "sex": _decode(raw["sex"], _SEX),
            "chest_pain_type": _decode(raw["cp"], _CHEST_PAIN),
            "sx_chest_pain": raw["cp"] != 4,
            "systolic_bp": raw["trestbps"].mask(raw["trestbps"] == 0),
            "cholesterol_mg_dl": raw["chol"].mask(raw["chol"] == 0),
            "fasting_glucose_over_120": _decode(raw["fbs"], _BOOL),
            "ecg": _decode(raw["restecg"], _ECG),
            "max_heart_rate_exercise": raw["thalach"],
            "sx_exertional": _decode(raw["exang"], _BOOL),
            "st_depression_exercise_mm": raw["oldpeak"],
            "st_slope": _decode(raw["slope"], _SLOPE),
            "fluoroscopy_vessels": raw["ca"],
            "thallium": _decode(raw["thal"], _THALLIUM),
            "cad": raw["num"] > 0,
        }
    )


def uci_mapping_markdown() -> str:
    """``UCI_MAPPING`` as the markdown table used in README.md."""
    lines = ["| column | from UCI | limits |", "|---|---|---|"]
    lines += [f"| `{column}` | {source} | {limits} |" for column, source, limits in UCI_MAPPING]
    return "\n".join(lines)
