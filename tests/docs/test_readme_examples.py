"""README's fenced code blocks, run (issue 27, item 7): documentation that cannot drift from the code.

Every fenced block of README.md is either run here or listed in ``ALLOWED`` with the reason it cannot run in CI;
a block that is neither fails ``test_every_block_is_run_or_allowed``, so a new example cannot slip in untested.
Blocks run in README order in one shared working directory (``work``), so a later block may use what an earlier
one wrote. A command fails the test when it exits non-zero.

What differs from a reader's terminal, all of it explicit:

* ``REWRITES``: the only textual changes (smaller sizes, free ports, ``curl --fail-with-body``); each must apply
  to some command, so the table cannot go stale.
* ``RUN``: each run block's ``given`` (files a reader is assumed to have before it: a registered model in
  ``./mlflow.db``, a vendor's predictions; made here, small) and ``check`` (what its output must show).
* ``SKIPPED``: single commands of a run block that cannot run in CI, each with its reason; ``RUN_ELSEWHERE``:
  commands another test runs with README's arguments (checked in that test's text), too slow to run twice.
* ``SERVERS``: commands that serve until stopped run in the background until they answer, stay up for the
  rest of their block and are stopped at its end.
* ``chestpain``, ``mlflow``, ``uvicorn`` and ``python`` on ``PATH`` are this interpreter's (small shims), so the
  README runs against the code under test whatever the console scripts' shebangs say; the working directory holds
  a copy of ``configs/`` because README's paths are relative to a checkout, and nothing is written into the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.app.conftest import app_cohort, app_model_dir, app_work, log_run  # noqa: F401 - the session test model

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
#: Seconds one command may take; each takes under 15 s here, and one that runs longer needs a rewrite or a reason.
COMMAND_TIMEOUT = 120


# --- the blocks ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One fenced code block of README.md."""

    line: int  # 1-based line of the opening fence
    lang: str
    text: str

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")


FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block, in order; an unclosed fence is an error rather than a silently lost block."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        start, lang, body = index, match.group(2).lower(), []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ValueError(f"README.md:{start + 1}: code fence never closed")
        blocks.append(Block(start + 1, lang, "\n".join(body)))
        index += 1
    return blocks


def shell_commands(block: Block) -> list[str]:
    """The block's commands: continuation lines and multi-line quotes joined, comment-only lines dropped.

    ``console`` blocks hold prompts (``$ cmd``, continued lines without one) and output; only prompted lines are
    commands. A ``python``
    block is one command: the snippet fed to this interpreter (the ``python`` shim).
    """
    if block.lang in ("python", "py"):
        return [f"python - <<'PYTHON'\n{block.text}\nPYTHON"]
    console = block.lang == "console"
    commands: list[str] = []
    pending = ""
    for line in block.text.splitlines():
        if console and not pending:
            if not line.startswith("$ "):
                continue  # output
            line = line[2:]
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending = f"{pending}\n{line}" if pending else line
        if complete(pending):
            commands.append(pending)
            pending = ""
    if pending:
        raise ValueError(f"README.md:{block.line}: unfinished command {pending!r}")
    return commands


def complete(command: str) -> bool:
    """True when bash would run ``command`` as it stands (no open quote, no trailing backslash)."""
    if command.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


def words(command: str) -> str:
    """The command without comments and layout, for matching against the tables below."""
    try:
        return " ".join(shlex.split(command, comments=True))
    except ValueError:  # a python snippet's heredoc: matched as written
        return command


# --- what is run, how, and what is not ---------------------------------------------------------------------------

#: Blocks that are not run, by the start of their first line, with the reason.
ALLOWED: dict[str, str] = {
    # `make demo` installs into .venv and ends by starting the app, which serves until stopped; `make test` runs
    # the whole suite, this file included. `chestpain demo --no-app --n 20000` (RUN_ELSEWHERE) runs the demo's steps.
    "make demo": "installs, then starts the long-running app; `make test` is the suite itself",
    # Diagrams and a response body: nothing to execute.
    "demographics -> risk factors": "a diagram of the simulator's causal steps, not a command",
    "5   chestpain.cli": "a diagram of the import layers, not a command (tests/test_layers.py checks the layers)",
    "{": "an example CDS Hooks card (output, not a command; tests/ehr validate cards against the schema)",
    # Needs the `scale` extra and a Dask cluster at a placeholder address (tcp://HOST:8786, /shared paths);
    # `make test-scale` runs the Dask engine's simulate, train and audit.
    "dask scheduler &": "needs `.[scale]` and a Dask cluster at placeholder addresses; `make test-scale` covers it",
    # A PostgreSQL server with a placeholder password; `make test-scale` starts a throw-away one and this server.
    "mlflow server --backend-store-uri postgresql": "needs a PostgreSQL server (placeholders); `make test-scale`",
}

#: Single commands of a run block that are not run (matched on ``words(command)``), with the reason.
SKIPPED: dict[str, str] = {
    "pip wheel --no-deps -w dist .": "builds into the checkout; tests/test_wheel.py builds the wheel",
    "pip install dist/chest_pain_triage-*.whl": "would install into the test's environment; tests/test_wheel.py "
    "installs the wheel in a fresh venv outside the checkout",
    "chestpain demo": "400,000 visits, then the app serves until stopped; `chestpain demo --no-app --n 20000` runs",
}

#: Commands another test runs with README's arguments: (test file, the argv as that file spells it). Run here they
#: would take most of this file's time budget (the packaged 800-tree config on 20,000 visits: 60-110 s here).
#: tests/test_wheel.py runs the demo from the installed wheel, adding only ``--out demo``.
RUN_ELSEWHERE: dict[str, tuple[str, str]] = {
    "chestpain demo --no-app --n 20000": ("tests/test_wheel.py", '"chestpain", "demo", "--no-app", "--n", "20000"'),
}


@dataclass(frozen=True)
class Rewrite:
    """One textual change to README commands before they run, with its reason."""

    old: str
    new: str
    why: str


REWRITES: list[Rewrite] = [
    Rewrite("--n 100000 ", "--n 2000 ", "the packaged-config example only needs to run, not to be large"),
    Rewrite("-p 5001", "-p {port}", "a free port, so parallel test runs do not collide"),
    Rewrite("127.0.0.1:5001", "127.0.0.1:{port}", "the same free port for curl"),
    Rewrite("curl -s ", "curl -s --fail-with-body ", "curl -s exits 0 on HTTP 400; this makes a refusal fail"),
    Rewrite(
        "--config configs/ehr/hooks.example.yaml",
        "--config configs/ehr/hooks.example.yaml --port {port}",
        "a free port instead of the config's 8765",
    ),
]


@dataclass(frozen=True)
class Server:
    """A command that serves until stopped: how to know it is up."""

    ready_path: str
    ready: Callable[[requests.Response], bool]


SERVERS: dict[str, Server] = {
    "MLFLOW_TRACKING_URI=sqlite:///mlflow.db mlflow models serve": Server("/ping", lambda r: r.status_code == 200),
    # Discovery without a token is refused (401); any answer from the service means it started with the model.
    "chestpain serve-hooks": Server("/cds-services", lambda r: r.status_code in (200, 401)),
}


def given_registered_model(work: Path, request: pytest.FixtureRequest) -> None:
    """``./mlflow.db`` with ``chest-pain-triage@champion``, as ``chestpain train`` leaves it.

    The model is the app tests' session model (30,000 rows, 100 trees), built once per session whoever asks first;
    registered once per working directory, so a block selected on its own (``-k``) still finds it.
    """
    if (work / "mlflow.db").exists():
        return
    model_dir = request.getfixturevalue("app_model_dir")
    log_run(model_dir, f"sqlite:///{work / 'mlflow.db'}", "configs/train/xgboost.yaml", "champion")


def given_cohort_and_vendor_tables(work: Path, request: pytest.FixtureRequest) -> None:
    """``cohort.parquet`` and a vendor's ``vendor.csv`` / ``vendor.parquet`` (mi, risk, flagged per visit)."""
    from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

    frame = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 6_000, 5)
    frame.to_parquet(work / "cohort.parquet")
    vendor = frame[["patient_id", "sex", "age", "race", "mi"]].assign(
        risk=frame["clinician_risk"], flagged=~frame["discharged"]
    )
    vendor.to_csv(work / "vendor.csv", index=False)
    vendor.to_parquet(work / "vendor.parquet")


def check_served_predictions(outputs: list[str]) -> None:
    """The curl answer has the documented shape: one prediction with ``chestpain predict``'s columns."""
    from chestpain.models import PREDICT_COLUMNS

    predictions = json.loads(outputs[-1])["predictions"]
    assert [list(row) for row in predictions] == [list(PREDICT_COLUMNS)], outputs[-1]
    assert predictions[0]["patient_id"] == 1
    assert predictions[0]["flag"] is True, "README shows this patient flagged (ESC 0/1 h change of 6 ng/L)"


def check_monitor_alarm(outputs: list[str]) -> None:
    """The simulated year's gap is found in women, as README says."""
    assert "ALARM override rate of warning/critical cards: sex=female higher than male" in outputs[-1], outputs[-1]


@dataclass(frozen=True)
class Plan:
    """A block that runs: what must exist before it, and what its output must show beyond exit code 0."""

    given: Callable[[Path, pytest.FixtureRequest], None] | None = None
    check: Callable[[list[str]], None] | None = None


#: Blocks that run, by the start of their first line, in README order.
RUN: dict[str, Plan] = {
    "MLFLOW_TRACKING_URI=sqlite:///mlflow.db mlflow models serve": Plan(
        given=given_registered_model, check=check_served_predictions
    ),
    "chestpain audit --predictions vendor.csv": Plan(given=given_cohort_and_vendor_tables),
    "chestpain serve-hooks": Plan(given=given_registered_model),
    "python -m chestpain.experiments.monitoring_study --write-stream": Plan(check=check_monitor_alarm),
    "pip wheel --no-deps -w dist .": Plan(),
}


def not_run_here(command: str) -> str | None:
    """Why a command of a run block is not run by this file, or None when it is."""
    if words(command) in SKIPPED:
        return SKIPPED[words(command)]
    if words(command) in RUN_ELSEWHERE:
        return f"run by {RUN_ELSEWHERE[words(command)][0]}"
    return None


def plan_key(block: Block, table: dict[str, object]) -> str | None:
    keys = [key for key in table if block.first_line.startswith(key)]
    assert len(keys) <= 1, f"README.md:{block.line} matches several entries: {keys}"
    return keys[0] if keys else None


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
RUN_BLOCKS = [block for block in BLOCKS if plan_key(block, RUN)]


# --- running them ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SHIMS = {
    "chestpain": "import sys; sys.argv[0] = 'chestpain'; from chestpain.cli.main import main; main()",
    "mlflow": "import sys; sys.argv[0] = 'mlflow'; from mlflow.cli import cli; cli()",
    "uvicorn": "import sys; sys.argv[0] = 'uvicorn'; from uvicorn.main import main; main()",
}
PYTHON_SHIM = f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The shared working directory: README's relative ``configs/`` paths and the shims' ``bin/``."""
    folder = tmp_path_factory.mktemp("readme")
    # A copy, not a link: the hooks config resolves its feedback store beside itself, which must not be the repo.
    shutil.copytree(REPO_ROOT / "configs", folder / "configs")
    shims = folder / "bin"
    shims.mkdir()
    for name, code in SHIMS.items():
        path = shims / name
        path.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{code}" "$@"\n', encoding="utf-8")
        path.chmod(0o755)
    (shims / "python").write_text(PYTHON_SHIM, encoding="utf-8")
    (shims / "python").chmod(0o755)
    return folder


def environment(work: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_TRACKING")}
    env["PATH"] = f"{work / 'bin'}{os.pathsep}{env['PATH']}"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["MLFLOW_MODELS_WORKERS"] = "1"  # one uvicorn worker for `mlflow models serve`: less to start
    # curl and requests talk to the servers started here directly, whatever proxy the machine is configured with.
    env["no_proxy"] = env["NO_PROXY"] = ",".join(filter(None, [env.get("no_proxy"), "127.0.0.1,localhost"]))
    return env


def rewrite(command: str, port: int) -> str:
    for change in REWRITES:
        command = command.replace(change.old, change.new)
    return command.replace("{port}", str(port))


def start_server(command: str, server: Server, port: int, work: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start a serving command in the background and wait until it answers (or fail with its log)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=work,
            env=environment(work),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120  # imports, model load and uvicorn start on a shared 2-core machine
    while True:
        try:
            if server.ready(requests.get(f"http://127.0.0.1:{port}{server.ready_path}", timeout=2)):
                return process
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"README server did not start: {command}\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a command's whole process group (``mlflow models serve`` runs uvicorn as a child)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run(command: str, work: Path) -> str:
    """Run one command as bash would from the README; a non-zero exit fails the test with its output."""
    process = subprocess.Popen(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=work,
        env=environment(work),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop(process)
        pytest.fail(f"README command ran over {COMMAND_TIMEOUT} s (rewrite it smaller or list it): {command}")
    assert process.returncode == 0, (
        f"README command failed (exit {process.returncode}):\n{command}\n"
        f"--- stdout ---\n{stdout[-3000:]}\n--- stderr ---\n{stderr[-3000:]}"
    )
    return stdout


@pytest.fixture(scope="module")
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Background servers of the block being run; whatever a failing block leaves is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop(process)


# --- the tests ---------------------------------------------------------------------------------------------------


def test_every_block_is_run_or_allowed() -> None:
    """A new README block fails here until it is added to RUN (with what it needs) or to ALLOWED (with why)."""
    unaccounted = [f"README.md:{b.line}: {b.first_line}" for b in BLOCKS if not plan_key(b, RUN | ALLOWED)]
    assert not unaccounted, "README blocks neither run nor allow-listed:\n" + "\n".join(unaccounted)
    both = [f"README.md:{b.line}" for b in BLOCKS if plan_key(b, RUN) and plan_key(b, ALLOWED)]
    assert not both, f"blocks both run and allow-listed: {both}"


def test_no_stale_entries() -> None:
    """Every RUN / ALLOWED / SKIPPED entry still names something in README (so the tables cannot rot)."""
    for table in (RUN, ALLOWED):
        for key in table:
            assert any(b.first_line.startswith(key) for b in BLOCKS), f"no README block starts with {key!r}"
    run_commands = {words(c) for b in RUN_BLOCKS for c in shell_commands(b)}
    for command in [*SKIPPED, *RUN_ELSEWHERE]:
        assert command in run_commands, f"SKIPPED / RUN_ELSEWHERE names no command of a run block: {command!r}"
    runnable = [c for b in RUN_BLOCKS for c in shell_commands(b) if not_run_here(c) is None]
    for change in REWRITES:
        assert any(change.old in c for c in runnable), f"REWRITES entry matches no README command: {change.old!r}"


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: f"L{b.line}-{b.first_line.split()[0]}")
def test_readme_block_runs(
    block: Block, work: Path, servers: list[subprocess.Popen[bytes]], request: pytest.FixtureRequest
) -> None:
    """Run one README block's commands in order in the shared directory; every one must exit 0."""
    plan = RUN[plan_key(block, RUN)]
    if plan.given is not None:
        plan.given(work, request)
    port = free_port()
    outputs: list[str] = []
    for number, command in enumerate(shell_commands(block)):
        if not_run_here(command) is not None:
            continue
        runnable = rewrite(command, port)
        server = next((s for prefix, s in SERVERS.items() if words(command).startswith(prefix)), None)
        if server is None:
            outputs.append(run(runnable, work))
        else:
            log = work / f"server-L{block.line}-{number}.log"
            servers.append(start_server(runnable, server, port, work, log))
    while servers:
        stop(servers.pop())
    if plan.check is not None:
        plan.check(outputs)


@pytest.mark.parametrize("command", RUN_ELSEWHERE)
def test_the_other_test_still_runs_it(command: str) -> None:
    """A command left to another test is still run there with README's arguments (else README may drift)."""
    path, argv = RUN_ELSEWHERE[command]
    assert argv in (REPO_ROOT / path).read_text(encoding="utf-8"), f"{path} no longer runs {command!r} as {argv}"


def test_python_and_console_blocks_run_and_can_fail(work: Path) -> None:
    """README has no python or console block yet; when one comes, it runs through the same path, and fails."""
    text = "```python\nimport sys\nsys.exit(3)\n```\n\n```console\n$ echo one \\\n  two\none two\n```\n"
    python_block, console_block = readme_blocks(text)
    assert shell_commands(console_block) == ["echo one \\\n  two"]
    assert run(shell_commands(console_block)[0], work) == "one two\n"
    with pytest.raises(AssertionError, match="exit 3"):
        run(shell_commands(python_block)[0], work)
