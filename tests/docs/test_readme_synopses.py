"""Every ``chestpain`` command README writes names a real verb and real options; its API names import (issue 27, 7).

Fenced blocks are run (``test_readme_examples.py``); the inline spans (the command table's synopses, commands in
prose) hold placeholders (``FILE``, ``MODEL_DIR``) and cannot run, but their verbs and ``--options`` are checked
against the command line's own definition (Typer's click tree, in process: no command starts), so a renamed or
removed option cannot survive in README. The Python names README gives (``chestpain.simulation.oracle_for_visits``,
``from chestpain.models import what_if``) are imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.core import TyperGroup
from typer.main import get_command

from chestpain.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"
#: ``chestpain ARGS`` as a command (not ``from chestpain import ...``).
INVOCATION = re.compile(r"(?<!from )(?<!import )\bchestpain ((?:[^`\n]|\n(?!\n))*)")
SPAN = re.compile(r"`([^`]+)`")


def readme_invocations(text: str) -> list[str]:
    """The argument text after every ``chestpain `` in inline code spans and fenced blocks, layout collapsed."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    found = [" ".join(match.split()) for span in SPAN.findall(prose) for match in INVOCATION.findall(span)]
    for block in fenced:
        joined = block.replace("\\\n", " ")
        found += [" ".join(m.split("#")[0].split()) for line in joined.splitlines() for m in INVOCATION.findall(line)]
    return found


def problems(arguments: str, root: TyperGroup) -> list[str]:
    """What in one invocation the command line does not know: an unknown verb or option."""
    tokens = arguments.replace("[", " ").replace("]", " ").replace("\\|", " ").replace("|", " ").split()
    command: Any = root  # typer's own click (typer._click): a group has ``commands``
    index = 0
    while hasattr(command, "commands") and index < len(tokens) and not tokens[index].startswith("-"):
        name = tokens[index]
        if name.isupper() or name == "...":  # `chestpain VERB --help`, `chestpain ...`: a placeholder verb
            return []
        if name not in command.commands:
            return [f"chestpain {arguments}: no command {name!r}"]
        command = command.commands[name]
        index += 1
    known = {"--help"} | {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    options = {token.split("=")[0].rstrip(",.;)") for token in tokens[index:] if token.startswith("--")}
    return [f"chestpain {arguments}: {command.name} has no option {option}" for option in sorted(options - known)]


@pytest.fixture(scope="module")
def root() -> TyperGroup:
    command = get_command(app)
    assert isinstance(command, TyperGroup)
    return command


def test_readme_names_only_real_verbs_and_options(root: TyperGroup) -> None:
    invocations = readme_invocations(README.read_text(encoding="utf-8"))
    assert len(invocations) > 40  # the command table, prose and fenced blocks: the parser still finds them
    found = [problem for arguments in invocations for problem in problems(arguments, root)]
    assert not found, "README commands the command line does not know:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`chestpain train --config C --frobnicate 3`", "train has no option --frobnicate"),
        ("`chestpain demo [--out DIR] [--n-rows N]`", "demo has no option --n-rows"),
        ("`chestpain data nhanes --out x`", "no command 'nhanes'"),
        ("```bash\nchestpain audit --model M \\\n    --dataa t.parquet  # typo\n```", "audit has no option --dataa"),
    ],
)
def test_a_wrong_option_or_verb_is_reported(root: TyperGroup, text: str, expected: str) -> None:
    found = [problem for arguments in readme_invocations(text) for problem in problems(arguments, root)]
    assert any(expected in problem for problem in found), found


#: Dotted names in the ``chestpain`` namespace (``chestpain.simulation.oracle_for_visits``) and ``from chestpain.x
#: import y`` lines; a final all-capitals part of one letter (``chestpain.cli.commands.X``) is a placeholder.
DOTTED = re.compile(r"(?<![\w/])chestpain(?:\.\w+)+")
FROM_IMPORT = re.compile(r"from (chestpain(?:\.\w+)*) import (\w+)")


def readme_python_names(text: str) -> list[str]:
    names = set(DOTTED.findall(text)) | {f"{module}.{name}" for module, name in FROM_IMPORT.findall(text)}
    return sorted(name for name in names if not re.fullmatch(r"[A-Z]", name.rsplit(".", 1)[-1]))


def unresolved(name: str) -> str | None:
    """None when ``name`` imports (the longest module prefix, then attributes), else why not."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(value, attribute):
                return f"{name}: {'.'.join(parts[:cut])} has no {attribute!r}"
            value = getattr(value, attribute)
        return None
    return f"{name}: no such module"


def test_readme_python_names_exist() -> None:
    """The API names README gives (``from chestpain.models import what_if``, ...) import."""
    names = readme_python_names(README.read_text(encoding="utf-8"))
    assert "chestpain.simulation.oracle_for_visits" in names  # the parser still finds them
    missing = [why for name in names if (why := unresolved(name))]
    assert not missing, "README names that do not import:\n" + "\n".join(missing)


def test_a_missing_python_name_is_reported() -> None:
    names = readme_python_names("`from chestpain.models import what_iff` and `chestpain.simulation.oracle_for_visit`")
    assert [why for name in names if (why := unresolved(name))] == [
        "chestpain.models.what_iff: chestpain.models has no 'what_iff'",
        "chestpain.simulation.oracle_for_visit: chestpain.simulation has no 'oracle_for_visit'",
    ]
