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
        raise TriageError(f"--set {text!r}: expected key=value, e.g. --set interruption.median_seconds=20")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError as error:
        raise TriageError(f"--set {text!r}: value is not valid YAML ({error.__class__.__name__})") from error
    return key.strip().split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``key=value`` override applied at its dotted path.

    A numeric path part indexes a list, e.g. ``presentation.troponin.components.0.log_sd_0h=1.1``.
    """
    data = copy.deepcopy(data)
    for text in overrides:
        path, value = parse_override(text)
        node: Any = data
        for depth, part in enumerate(path):
            prefix = ".".join(path[: depth + 1])
            last = depth == len(path) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise TriageError(f"--set {text!r}: {prefix}: no such list item (the list has {len(node)})")
                key: Any = int(part)
            elif isinstance(node, dict):
                key = part
            else:
                raise TriageError(f"--set {text!r}: {'.'.join(path[:depth])} is a value, not a section")
            if last:
                node[key] = value
            else:
                if isinstance(node, dict) and node.get(key) is None:
                    node[key] = {}
                node = node[key]
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


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``update``, merging nested mappings key by key."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_config_tree(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a YAML config, resolving ``extends: other.yaml`` (relative to the file) by deep-merging.

    Scenario files state only what differs from their base, so a change to ``default.yaml`` reaches every
    scenario and no two files can drift apart.
    """
    path = Path(path).resolve()
    if path in _seen:
        raise TriageError(f"{path.name}: 'extends' forms a cycle")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise TriageError(f"{path.name}: extends: expected a file name")
    return deep_merge(read_config_tree(path.parent / parent, (*_seen, path)), data)


def load_config(model: type[ModelT], path: str | Path, overrides: list[str] | None = None) -> ModelT:
    """Read ``path`` (with its ``extends`` chain), apply ``--set`` overrides and validate against ``model``."""
    data = apply_overrides(read_config_tree(path), list(overrides or []))
    return validate_config(model, data, source=Path(path).name)
