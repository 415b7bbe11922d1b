"""YAML configs validated by pydantic, with ``--set a.b=value`` overrides from the command line.

Every config model derives from :class:`StrictModel`, which rejects unknown keys, so a typo in a YAML file or an
override is an error that names the key instead of a silently ignored setting.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from triage.errors import TriageError

ModelT = TypeVar("ModelT", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors and values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into a key path and a YAML-parsed value (``0.5`` -> float, ``true`` -> bool)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise TriageError(f"--set {text!r}: expected key=value, e.g. --set encounter.interruption.median_seconds=20")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError as error:
        raise TriageError(f"--set {text!r}: value is not valid YAML ({error.__class__.__name__})") from error
    return key.strip().split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``key=value`` override applied at its dotted path."""
    data = copy.deepcopy(data)
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for depth, part in enumerate(path[:-1]):
            child = node.get(part) if isinstance(node, dict) else None
            if child is None:
                child = {}
                node[part] = child
            if not isinstance(child, dict):
                prefix = ".".join(path[: depth + 1])
                raise TriageError(f"--set {text!r}: {prefix} is a value, not a section")
            node = child
        node[path[-1]] = value
    return data


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line per problem, each naming the dotted key, e.g. ``default.yaml: demographics.female_share: ...``."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
        lines.append(f"{source}: {key}: {message}")
    return "; ".join(lines)


def validate_config(model: type[ModelT], data: dict[str, Any], source: str = "config") -> ModelT:
    """Validate a mapping against ``model``; a failure becomes a :class:`TriageError` naming each bad key."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise TriageError(format_validation_error(source, error)) from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, with a clear error for a missing file or a file that is not a mapping."""
    path = Path(path)
    if not path.is_file():
        raise TriageError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise TriageError(f"{path}: not a valid YAML file ({error.__class__.__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TriageError(f"{path}: the top level must be a mapping of keys to values")
    return data


def load_config(model: type[ModelT], path: str | Path, overrides: list[str] | None = None) -> ModelT:
    """Read ``path``, apply ``--set`` overrides and validate against ``model``."""
    data = apply_overrides(read_yaml(path), list(overrides or []))
    return validate_config(model, data, source=Path(path).name)
