"""Which rows belong to which audit group.

Every group of every attribute (``sex``, ``race``, ``sex&age_band``, ...) is a union of *atoms*: the non-empty
combinations of all base columns involved. The bootstrap works on atoms, never on rows, so a group's counts in
a resample are sums over its atoms; an intersection such as ``female&<55`` costs nothing extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chestpain.features.columns import RACES, SEXES
from chestpain.kernel.errors import TriageError

from ._validation import LENGTH_MISMATCH, MISSING_VALUES, check_sex

OVERALL = "overall"
ALL_GROUP = "all"
INTERSECTION = "&"
AGE_BAND = "age_band"

# Pope et al., "Missed diagnoses of acute cardiac ischemia in the emergency department", N Engl J Med
# 2000;342:1163-70: women under 55 were the group most often sent home with an MI (odds ratio 6.7).
AGE_BAND_CUTOFF = 55
AGE_BANDS = (f"<{AGE_BAND_CUTOFF}", f">={AGE_BAND_CUTOFF}")

DEFAULT_ATTRIBUTES = ("sex", "race", AGE_BAND, f"sex{INTERSECTION}{AGE_BAND}")

# Report order for known categories; anything else is sorted.
_KNOWN_ORDER: dict[str, tuple[str, ...]] = {"sex": SEXES, "race": RACES, AGE_BAND: AGE_BANDS}

MISSING_ATTRIBUTE = "attribute column {column!r} is missing from attributes (columns: {available})"
NOT_A_FRAME = "attributes must be a pandas DataFrame or a mapping of column name to values, got {kind}"
BAD_ATTRIBUTE_NAME = "attribute {name!r} is not a column name or an intersection such as 'sex&age_band'"
RESERVED_ATTRIBUTE = "attribute name {name!r} is reserved for the whole cohort"
DUPLICATE_ATTRIBUTE = "attribute {name!r} is listed twice"
AGE_NOT_NUMERIC = "age must be numeric to derive age bands, got dtype {dtype}"


def age_band(age: Any) -> np.ndarray:
    """Map ages in years to ``'<55'`` / ``'>=55'``.

    The cut-off reproduces the group at highest risk of a missed MI in Pope et al. (NEJM 2000): women under
    55.

    Parameters
    ----------
    age : array-like of float
        Age in years; missing values are an error.

    Returns
    -------
    numpy.ndarray of str
        One band per age.

    Examples
    --------
    >>> age_band([40, 54.9, 55, 80]).tolist()
    ['<55', '<55', '>=55', '>=55']
    """
    array = np.asarray(age)
    if array.dtype.kind not in "iuf":
        raise TriageError(AGE_NOT_NUMERIC.format(dtype=array.dtype))
    array = array.astype(np.float64)
    missing = np.isnan(array)
    if missing.any():
        raise TriageError(MISSING_VALUES.format(name="age", row=int(np.argmax(missing))))
    return np.where(array < AGE_BAND_CUTOFF, AGE_BANDS[0], AGE_BANDS[1])


@dataclass(frozen=True)
class GroupIndex:
    """Groups of every audited attribute, expressed over atoms.

    Attributes
    ----------
    attributes : tuple of str
        ``'overall'`` first, then the requested attributes in order.
    groups : tuple of (str, str)
        ``(attribute, group)`` pairs in report order; ``('overall', 'all')`` first.
    atom_of_row : numpy.ndarray of int64
        Atom index of every row.
    membership : numpy.ndarray of bool, shape (n_groups, n_atoms)
        ``membership[g, a]`` is true when atom ``a`` belongs to group ``g``.
    """

    attributes: tuple[str, ...]
    groups: tuple[tuple[str, str], ...]
    atom_of_row: np.ndarray
    membership: np.ndarray

    def positions(self, attribute: str) -> list[int]:
        """Indices into :attr:`groups` of the groups of ``attribute``."""
        return [i for i, (name, _) in enumerate(self.groups) if name == attribute]


def as_frame(attributes: Any) -> pd.DataFrame:
    if isinstance(attributes, pd.DataFrame):
        return attributes
    if isinstance(attributes, Mapping):
        return pd.DataFrame({key: np.asarray(value) for key, value in attributes.items()})
    raise TriageError(NOT_A_FRAME.format(kind=type(attributes).__name__))


def base_column(frame: pd.DataFrame, column: str) -> Any:
    """Values of one base column (any dtype), deriving ``age_band`` from ``age`` when needed."""
    if column not in frame.columns:
        if column == AGE_BAND and "age" in frame.columns:
            return age_band(frame["age"].to_numpy())
        available = ", ".join(map(str, frame.columns)) or "none"
        raise TriageError(MISSING_ATTRIBUTE.format(column=column, available=available))
    values = frame[column]
    missing = np.asarray(values.isna(), dtype=bool)
    if missing.any():
        raise TriageError(MISSING_VALUES.format(name=f"attribute {column!r}", row=int(np.argmax(missing))))
    if column == "sex":
        check_sex(values, SEXES)
    return values


def group_labels(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Group label (a string) of every row for one base column."""
    return np.asarray(base_column(frame, column)).astype(str)


def _ordered_levels(column: str, uniques: Any) -> list[str]:
    present = {str(value) for value in uniques}
    known = [level for level in _KNOWN_ORDER.get(column, ()) if level in present]
    return known + sorted(present - set(known))


def parse_attributes(attributes: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Split names like ``'sex&age_band'`` into their base columns, rejecting duplicates and blanks."""
    parsed: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for name in attributes:
        parts = tuple(part.strip() for part in str(name).split(INTERSECTION))
        if not all(parts):
            raise TriageError(BAD_ATTRIBUTE_NAME.format(name=name))
        if name == OVERALL:
            raise TriageError(RESERVED_ATTRIBUTE.format(name=name))
        if name in seen:
            raise TriageError(DUPLICATE_ATTRIBUTE.format(name=name))
        seen.add(name)
        parsed.append((str(name), parts))
    return parsed


def build_groups(attributes: Any, names: Sequence[str], n_rows: int) -> GroupIndex:
    """Encode rows as atoms and list every group of ``names`` (plus ``overall``) over those atoms.

    Parameters
    ----------
    attributes : pandas.DataFrame or mapping
        One row per prediction; must hold every base column named in ``names`` (``age_band`` may be derived
        from ``age``).
    names : sequence of str
        Attributes to audit; ``'a&b'`` is the intersection of columns ``a`` and ``b``.
    n_rows : int
        Expected number of rows (the length of ``y_true``).
    """
    frame = as_frame(attributes)
    if len(frame) != n_rows:
        raise TriageError(LENGTH_MISMATCH.format(name="attributes", got=len(frame), expected=n_rows))
    parsed = parse_attributes(names)
    base_columns = list(dict.fromkeys(part for _, parts in parsed for part in parts))

    codes: dict[str, np.ndarray] = {}
    levels: dict[str, list[str]] = {}
    for column in base_columns:
        values = base_column(frame, column)
        inverse, uniques = pd.factorize(values)
        names = [str(value) for value in uniques]
        levels[column] = _ordered_levels(column, names)
        lookup = {level: i for i, level in enumerate(levels[column])}
        codes[column] = np.array([lookup[name] for name in names], dtype=np.int64)[inverse]

    # Mixed-radix code over all base columns, then compressed to the atoms that actually occur.
    combined = np.zeros(n_rows, dtype=np.int64)
    for column in base_columns:
        combined = combined * len(levels[column]) + codes[column]
    atom_codes, atom_of_row = np.unique(combined, return_inverse=True)
    atom_parts: dict[str, np.ndarray] = {}
    remainder = atom_codes.copy()
    for column in reversed(base_columns):
        atom_parts[column] = remainder % len(levels[column])
        remainder //= len(levels[column])

    groups: list[tuple[str, str]] = [(OVERALL, ALL_GROUP)]
    rows: list[np.ndarray] = [np.ones(len(atom_codes), dtype=bool)]
    for name, parts in parsed:
        # Product of the parts' level orders, keeping only combinations that occur.
        combos: list[tuple[int, ...]] = [()]
        for part in parts:
            combos = [combo + (i,) for combo in combos for i in range(len(levels[part]))]
        for combo in combos:
            member = np.ones(len(atom_codes), dtype=bool)
            for part, level in zip(parts, combo, strict=True):
                member &= atom_parts[part] == level
            if member.any():
                label = INTERSECTION.join(levels[part][level] for part, level in zip(parts, combo, strict=True))
                groups.append((name, label))
                rows.append(member)
    return GroupIndex(
        attributes=(OVERALL, *(name for name, _ in parsed)),
        groups=tuple(groups),
        atom_of_row=atom_of_row.astype(np.int64),
        membership=np.vstack(rows),
    )
