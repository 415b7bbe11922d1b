"""YAML configs validated by pydantic, with ``--set a.b=value`` overrides from the command line.

Every config model derives from :class:`StrictModel`, which rejects unknown keys, so a typo in a YAML file or an
override is an error that names the key instead of a silently ignored setting.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from chestpain.kernel.errors import TriageError

ModelT = TypeVar("ModelT", bound=BaseModel)
ConfigKind = Literal["simulation", "train", "experiments", "ehr"]


def packaged_config_dir(kind: ConfigKind) -> Path:
    """The folder of the packaged configs of one kind, found without importing anything.

    ``configs/<kind>`` in a checkout; inside the wheel once installed.
    """
    spec = importlib.util.find_spec("chestpain.configs")
    if spec is None or not spec.submodule_search_locations:
        raise TriageError("the packaged configs (chestpain.configs) are missing; reinstall chest-pain-triage")
    return Path(next(iter(spec.submodule_search_locations))) / kind


def packaged_config_names(kind: ConfigKind) -> list[str]:
    """Names that ``--config`` accepts for ``kind`` (``default``, ``no_bias``, ``xgboost``, ...), sorted."""
    return sorted(path.stem for path in packaged_config_dir(kind).glob("*.yaml"))


def resolve_config(reference: str | Path, kind: ConfigKind) -> Path:
    """A config given by packaged name or by path, as a path to an existing file.

    A bare name (no folder, no ``.yaml``: ``default``, ``xgboost``) is a packaged config and works from any
    directory; anything else is a path (relative to the working directory), and a bare ``name.yaml`` that is not
    there falls back to the packaged config of that name. A wrong name lists the names there are.
    """
    text = str(reference)
    path = Path(text)
    bare = len(path.parts) == 1 and not path.is_absolute()
    folder = packaged_config_dir(kind)
    if bare and path.suffix not in (".yaml", ".yml"):
        packaged = folder / f"{text}.yaml"
        if packaged.is_file():
            return packaged
        names = ", ".join(packaged_config_names(kind))
        raise TriageError(
            f"config {text!r} not found: no packaged {kind} config of that name (there are: {names}); "
            "give a file path (e.g. my_config.yaml) for your own"
        )
    if path.is_file():
        return path
    if bare and (folder / path.name).is_file():
        return folder / path.name
    raise TriageError(f"config file not found: {path}")


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


def load_config(
    model: type[ModelT], path: str | Path, overrides: list[str] | None = None, kind: ConfigKind | None = None
) -> ModelT:
    """Read ``path`` (with its ``extends`` chain), apply ``--set`` overrides and validate against ``model``.

    With ``kind``, ``path`` may also be a packaged config's name (:func:`resolve_config`).
    """
    if kind is not None:
        path = resolve_config(path, kind)
    data = apply_overrides(read_config_tree(path), list(overrides or []))
    return validate_config(model, data, source=Path(path).name)
