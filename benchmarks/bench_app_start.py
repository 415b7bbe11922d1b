"""The app as a physician meets it, in Chromium, as ratios to a bare Streamlit page measured in the same run.

1. First view: from spawning ``chestpain app --port PORT`` to the discharge form being visible in the browser (its
   *Check discharge* button, the last widget of the form, rendered). Goal: <= 3 s.
2. Answer: from pressing *Check discharge* on a filled form to the risk metric and the SHAP waterfall being shown
   (the first submission of the session, so a model still loading is counted).
3. Baseline: the same for a bare Streamlit hello page (``python -m streamlit run hello.py`` with the same server
   flags): a title and a one-field form, visible when its button is; its answer is one line of text.

Also printed: when the port opens (the server's own start, before any of the app's code runs), and the
machine's load average before and after the runs (a shared 2-core machine: say it with every figure).

The browser is Debian's ``/usr/bin/chromium`` driven by Playwright (as tests/app/test_browser.py; never
``playwright install``), launched once before any server; the page is requested as soon as the port accepts a
connection after the server is spawned, as a physician's open tab would. Runs alternate app / bare so machine load
hits both alike; the best of ``--repeats`` is the ratio's numerator and denominator (the least noisy summary on a
shared machine).

The model is ``--model`` (a directory or ``models:/NAME@ALIAS`` in ``$MLFLOW_TRACKING_URI``), else a small one
(30,000 simulated visits, 100 trees) trained and registered as ``chest-pain-triage@champion`` in a temporary SQLite
store, as ``make demo`` leaves it; so the benchmark runs on a fresh checkout.

Usage: python benchmarks/bench_app_start.py [--model DIR_OR_URI] [--repeats 3] [--first-view-only]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.app.*, as the tests see them

from chestpain.cli.commands.app import streamlit_command  # noqa: E402
from tests.app.helpers import HIGH_RISK  # noqa: E402
from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, _fill_discharge_form  # noqa: E402

TRIAGE = Path(sys.executable).with_name("chestpain")
TIMEOUT_MS = 120_000
HELLO = """import streamlit as st

st.title("Hello")
with st.form("hello"):
    name = st.text_input("Name", key="name")
    pressed = st.form_submit_button("Go", key="go")
if pressed:
    st.write(f"Hello, {name}!")
"""


class NotAnswered(Exception):
    """The page refused the submission (e.g. a form field the benchmark does not know): no answer time."""


NOT_ANSWERED: list[str] = []
ANSWER = [True]  # --first-view-only sets it False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def visit(
    browser: Any,
    command: list[str],
    port: int,
    env: dict[str, str],
    ready: str,
    submit: Callable[[Any], None],
    answered: Callable[[Any], None],
) -> tuple[float, float, float]:
    """(spawn -> port open, spawn -> ``ready`` visible, click -> ``answered``) in seconds for one fresh server.

    The server is always stopped. The port opens when the server has started, before any of the app's code runs;
    the browser asks for the page then (polling with the browser itself adds its error pages' time to both runs).
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while True:  # the server's own start: its port accepts connections (before any of the app's code runs)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > TIMEOUT_MS / 1000:
                    raise SystemExit(f"the server did not start: {' '.join(command)}") from None
                time.sleep(0.02)
        served = time.perf_counter() - start
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator(ready).wait_for(state="visible")
        visible = time.perf_counter() - start
        if not ANSWER[0]:
            return served, visible, math.nan
        submit(page)
        clicked = time.perf_counter()
        try:
            answered(page)
        except NotAnswered as why:
            NOT_ANSWERED.append(str(why))
            return served, visible, math.nan
        return served, visible, time.perf_counter() - clicked
    finally:
        page.close()
        stop(process)


def app_run(browser: Any, env: dict[str, str]) -> tuple[float, float, float]:
    port = free_port()

    def submit(page: Any) -> None:
        answers = dict(HIGH_RISK)
        if page.locator(".st-key-symptom_onset_hours").count():  # the form asks for it since simulator v2
            answers.setdefault("symptom_onset_hours", 4.0)
        _fill_discharge_form(page, answers)
        page.locator(".st-key-check button").click()

    def answered(page: Any) -> None:
        risk = page.locator("[data-testid='stMetric']", has_text="Risk of MI").first
        refused = page.get_by_text("Nothing was scored").first
        risk.or_(refused).wait_for()
        if refused.is_visible():
            problem = page.locator("[data-testid='stAlert']").last.inner_text().replace("\n", " ")
            raise NotAnswered(f"the app did not score the benchmark's patient: {problem}")
        page.locator("[data-testid='stImage'] img").first.wait_for()

    return visit(
        browser, [str(TRIAGE), "app", "--port", str(port)], port, env, ".st-key-check button", submit, answered
    )


def bare_run(browser: Any, env: dict[str, str], hello: Path) -> tuple[float, float, float]:
    port = free_port()

    def submit(page: Any) -> None:
        page.locator(".st-key-name input").fill("ED")
        page.locator(".st-key-go button").click()

    def answered(page: Any) -> None:
        page.get_by_text("Hello, ED!").wait_for()

    return visit(browser, streamlit_command(hello, port), port, env, ".st-key-go button", submit, answered)


def small_model(folder: Path) -> str:
    """A small model registered as ``chest-pain-triage@champion`` in a SQLite store in ``folder``, as ``make demo``
    leaves it (the app then imports MLflow and downloads the model, as it does for a user).
    """
    from chestpain.models import TriageModel, load_train_config, log_training_run, prepare, train
    from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

    cohort = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 30_000, 2026)
    overrides = ["model.params.n_estimators=100", "threshold.confidence=0", "tracking.enabled=false"]
    cfg = load_train_config(REPO / "configs/train/xgboost.yaml", overrides)
    model_dir = train(prepare(cohort, cfg), cfg, folder / "model").model.path
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    manifest = TriageModel.load(model_dir).manifest
    params = {"config": "configs/train/xgboost.yaml", "label": manifest["label"], "model": manifest["model_kind"]}
    with contextlib.chdir(folder):  # MLflow puts the run's artifacts in ./mlruns: here, not in the checkout
        log_training_run(
            model_dir, manifest, params, [], experiment="bench", registered_model="chest-pain-triage", alias="champion"
        )
    return "models:/chest-pain-triage@champion"


def summary(name: str, app: list[float], bare: list[float], goal: str) -> str:
    return (
        f"{name}: app best {min(app):.2f} s (median {statistics.median(app):.2f} s), bare Streamlit page best "
        f"{min(bare):.2f} s (median {statistics.median(bare):.2f} s); ratio {min(app) / min(bare):.2f}x; {goal}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model directory or models:/NAME@ALIAS (default: train a small one)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--first-view-only", action="store_true", help="time the first view only, submit nothing")
    args = parser.parse_args()
    ANSWER[0] = not args.first_view_only
    if not CHROMIUM.exists():
        raise SystemExit(f"no {CHROMIUM}: `make install` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # as the console script does
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or small_model(Path(tmp))
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        env = {**os.environ, "TRIAGE_MODEL": model, "MLFLOW_DISABLE_TELEMETRY": "true"}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                bare_run(browser, env, hello)  # warm the file cache and the browser for both alike
                load_before = os.getloadavg()[0]
                runs = {"app": [], "bare": []}
                for _ in range(args.repeats):
                    runs["app"].append(app_run(browser, env))
                    runs["bare"].append(bare_run(browser, env, hello))
            finally:
                browser.close()
    app_served, app_visible, app_answer = zip(*runs["app"], strict=True)
    bare_served, bare_visible, bare_answer = zip(*runs["bare"], strict=True)
    print(
        f"{args.repeats} runs each; 1-minute load average {load_before:.1f} before the runs, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs (other people's jobs and this benchmark)"
    )
    print(summary("port open after start", app_served, bare_served, "the server's own start, before the app's code"))
    print(summary("form visible after start", app_visible, bare_visible, "goal: app <= 3 s"))
    if args.first_view_only:
        pass
    elif NOT_ANSWERED:
        print(f"first submit to answer: not measured ({NOT_ANSWERED[-1]})")
    else:
        print(summary("first submit to answer", app_answer, bare_answer, "model load included if still loading"))


if __name__ == "__main__":
    main()
