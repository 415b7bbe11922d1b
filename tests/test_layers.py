"""The layers of the ``chestpain`` namespace, checked on every module's imports (ast, nothing is imported).

Rules (README, "Layout and layers"): a module imports project code only under ``chestpain.``; only from its own
package or from a package in a lower layer (packages in one layer are independent of each other); never another
package's private ``_module`` (each package exports what others use in its ``__init__``); and nothing imports the
root ``app.py``. The checker is a plain function, so the last tests can plant violations and watch it fail.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Layer of each package, bottom (0) to top (5); a package's subpackages share its layer.
LAYERS = {
    "chestpain": 0,  # the namespace root: version only
    "chestpain.kernel": 0,
    "chestpain.configs": 0,  # data only
    "chestpain.features": 1,
    "chestpain.simulation": 2,
    "chestpain.fairness": 2,
    "chestpain.ehr": 2,
    "chestpain.models": 3,
    "chestpain.experiments": 4,
    "chestpain.patient": 4,
    "chestpain.cli": 5,
    "chestpain.app": 5,
}
#: Top-level names that were the project's packages before the namespace (and the root script's module name).
OLD_TOP_LEVEL = {"triage", "simulation", "features", "models", "fairness", "experiments", "ehr", "patient", "app_pages"}
#: "No file above ~600 lines" (issue 23): ehr/_fhir.py and fairness/_audit.py, one job each, are 605-607.
MAX_LINES = 620


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    target: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.rule}: {self.target}"


def package_of(module: str) -> str:
    """The layered package a dotted module name belongs to (longest prefix in :data:`LAYERS`)."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in LAYERS:
            return ".".join(parts[:size])
    raise KeyError(module)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _targets(module: str, is_package: bool, tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, imported names) of every import statement, also inside functions."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, _absolute(module, is_package, node), [a.name for a in node.names]))
    return found


def violations(sources: dict[str, tuple[str, bool]]) -> list[Violation]:
    """Every broken rule in ``sources``: module name -> (source text, is a package ``__init__``).

    The root script ``app.py`` is given as module ``app`` (top layer, outside the namespace).
    """
    found = []
    for module, (text, is_package) in sources.items():
        own = "chestpain.app" if module == "app" else package_of(module)
        for line, target, names in _targets(module, is_package, ast.parse(text)):
            top = target.split(".")[0]
            if top == "app":
                found.append(Violation(module, line, target, "imports the root app.py"))
                continue
            if top in OLD_TOP_LEVEL:
                found.append(Violation(module, line, target, "project code imported outside the chestpain namespace"))
                continue
            if top != "chestpain":
                continue
            other = package_of(target)
            if other == own or other in ("chestpain", "chestpain.configs"):
                continue
            if LAYERS[other] > LAYERS[own]:
                rule = f"upward import (layer {LAYERS[own]} -> {LAYERS[other]})"
                found.append(Violation(module, line, target, rule))
            elif LAYERS[other] == LAYERS[own]:
                rule = f"import between packages of one layer ({own} -> {other})"
                found.append(Violation(module, line, target, rule))
            rest = target[len(other) + 1 :].split(".") if target != other else []
            private = [part for part in rest if part.startswith("_")] + [n for n in names if n.startswith("_")]
            if private:
                what = f"{target} ({', '.join(private)})"
                found.append(Violation(module, line, what, "cross-package private import"))
    return found


def package_dirs() -> dict[str, Path]:
    """``chestpain.*`` package -> its folder in the checkout, from pyproject.toml's setuptools mapping."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = setuptools["package-dir"]
    dirs = {}
    for package in setuptools["packages"]:
        head = max((p for p in mapping if package == p or package.startswith(p + ".")), key=len)
        tail = package[len(head) + 1 :].split(".") if package != head else []
        dirs[package] = ROOT.joinpath(mapping[head], *tail)
    return dirs


def project_sources() -> dict[str, tuple[str, bool]]:
    sources = {"app": ((ROOT / "app.py").read_text(), False)}
    for package, folder in package_dirs().items():
        for path in folder.glob("*.py"):
            name = package if path.name == "__init__.py" else f"{package}.{path.stem}"
            sources[name] = (path.read_text(), path.name == "__init__.py")
    return sources


def test_every_package_folder_is_listed_in_pyproject():
    """A folder with an ``__init__.py`` under a mapped folder but not listed would be left out of the wheel."""
    dirs = package_dirs()
    listed = {path.resolve() for path in dirs.values()}
    roots = {dirs[p] for p in dirs if p.count(".") == 1}
    for root in roots:
        for init in root.rglob("__init__.py"):
            assert init.parent.resolve() in listed, f"{init.parent} is a package but not in pyproject.toml"
    assert all(path.is_dir() for path in dirs.values())


def test_no_upward_and_no_cross_package_private_imports():
    sources = project_sources()
    assert len(sources) > 130  # every module was read (about 140)
    problems = violations(sources)
    assert problems == [], "\n".join(map(str, problems))


def test_the_kernel_imports_no_other_project_package():
    kernel = {name: source for name, source in project_sources().items() if name.startswith("chestpain.kernel")}
    assert kernel
    for module, (text, is_package) in kernel.items():
        for line, target, _ in _targets(module, is_package, ast.parse(text)):
            assert not target.startswith("chestpain.") or target.startswith("chestpain.kernel"), (module, line, target)


def test_no_module_is_much_longer_than_600_lines():
    long = {name: text.count("\n") for name, (text, _) in project_sources().items() if text.count("\n") > MAX_LINES}
    assert long == {}


def test_every_package_exports_with_all():
    for package in LAYERS:
        if package == "chestpain.configs":
            continue
        module = pytest.importorskip(package)
        assert isinstance(module.__all__, list | tuple), package
        missing = [name for name in module.__all__ if name not in dir(module)]
        assert missing == [], (package, missing)


# The checker can fail: each planted violation is reported, and only it.


def _planted(module: str, text: str, is_package: bool = False) -> list[str]:
    return [v.rule for v in violations({module: (text, is_package)})]


@pytest.mark.parametrize(
    ("module", "text", "rule"),
    [
        ("chestpain.features._io", "from chestpain.models import TriageModel", "upward import (layer 1 -> 3)"),
        ("chestpain.kernel.io", "import chestpain.features", "upward import (layer 0 -> 1)"),
        ("chestpain.models._batch", "from chestpain.cli.support import stdout", "upward import (layer 3 -> 5)"),
        ("chestpain.fairness._audit", "from chestpain.simulation import TARGETS", "between packages of one layer"),
        ("chestpain.models._batch", "from chestpain.features._io import read_table", "cross-package private import"),
        ("chestpain.app.runs", "from chestpain.models import _registry", "cross-package private import"),
        ("chestpain.models._batch", "from features import read_table", "outside the chestpain namespace"),
        ("chestpain.cli.main", "import app", "imports the root app.py"),
        ("chestpain.features._io", "from ..models._predictor import TriageModel", "upward import (layer 1 -> 3)"),
    ],
)
def test_a_planted_violation_is_found(module, text, rule):
    found = _planted(module, text)
    assert any(rule in f for f in found), found


@pytest.mark.parametrize(
    ("module", "text"),
    [
        ("chestpain.models._batch", "from chestpain.features import read_table"),
        ("chestpain.models._batch", "from chestpain.models._tracking import tracking_uri"),
        ("chestpain.features", "from ._io import read_table"),
        ("chestpain.cli.commands.train", "from chestpain.models import train"),
        ("chestpain.experiments._common", "from chestpain.kernel.seeding import named_stream"),
    ],
)
def test_allowed_imports_are_not_reported(module, text):
    assert _planted(module, text, is_package=module == "chestpain.features") == []
