"""Cold start of the app, as a ratio to a bare ``import streamlit`` measured in the same run, and prediction latency.

1. Cold start: from spawning ``triage app``'s command (``python -m streamlit run app.py --server.headless true
   --server.address 127.0.0.1 --server.port PORT``) to the first 200 from ``/_stcore/health``. Goal: under 5 s.
2. Baseline: ``python -c "import streamlit"``, the least any Streamlit app can take.
3. Latency: the discharge page re-run in-process (Streamlit's AppTest) after the model is loaded, from pressing
   *Check discharge* to the risk, flag, HEART, ESC, reasons and SHAP waterfall being rendered. Goal: under 1 s.

The model is ``--model`` (a directory or ``models:/NAME@ALIAS``), else a small one trained into a temporary folder
(30,000 simulated visits, 100 trees), so the benchmark runs on a fresh checkout.

Usage: python benchmarks/bench_app_start.py [--model DIR_OR_URI] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _timing import best_of  # noqa: I001  (benchmarks/ is the script directory)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # app_pages and tests.app.helpers, as `streamlit run app.py` would see them

from triage.commands.app import APP_SCRIPT, streamlit_command  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cold_start(env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from spawning the server to its health check answering 200; the server is always stopped."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    start = time.perf_counter()
    process = subprocess.Popen(
        streamlit_command(APP_SCRIPT, port),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while time.perf_counter() - start < timeout:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.02)
        raise SystemExit(f"the app did not answer {url} within {timeout:.0f} s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def bare_import(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import streamlit"], env=env, check=True)
    return time.perf_counter() - start


def small_model(folder: Path) -> Path:
    from models import load_train_config, prepare, train
    from simulation import SCENARIO_DIR, load_scenario, simulate_frame

    cohort = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 30_000, 2026)
    overrides = ["model.params.n_estimators=100", "threshold.confidence=0", "tracking.enabled=false"]
    cfg = load_train_config(REPO / "configs/train/xgboost.yaml", overrides)
    return train(prepare(cohort, cfg), cfg, folder / "model").model.path


def prediction_latency(repeats: int) -> tuple[float, list[float]]:
    """First render (model load included), then ``repeats`` re-runs of a submitted form, in seconds."""
    from streamlit.testing.v1 import AppTest

    from tests.app.helpers import HIGH_RISK, fill_form

    start = time.perf_counter()
    at = AppTest.from_file(REPO / "app_pages" / "discharge_check.py", default_timeout=120).run()
    first = time.perf_counter() - start
    fill_form(at, HIGH_RISK)  # warm: the page's imports and the explainer's column map
    times = []
    for i in range(repeats):
        at.number_input(key="troponin_1h_ng_l").set_value(60.0 + 10 * i)  # a new answer each time
        start = time.perf_counter()
        at.button(key="check").click().run()
        times.append(time.perf_counter() - start)
        if at.exception or not at.metric:
            raise SystemExit(f"the discharge page did not render a result: {at.exception}")
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model directory or models:/NAME@ALIAS (default: train a small one)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or str(small_model(Path(tmp)))
        env = {**os.environ, "TRIAGE_MODEL": model, "MLFLOW_DISABLE_TELEMETRY": "true"}
        os.environ.update(TRIAGE_MODEL=model, MLFLOW_DISABLE_TELEMETRY="true")
        bare_import(env)  # warm the file cache for both measurements alike
        starts = [cold_start(env) for _ in range(args.repeats)]
        bare = best_of(args.repeats, lambda: bare_import(env))
        first, latencies = prediction_latency(args.repeats)
    print(
        f"cold start (spawn to /_stcore/health OK): best {min(starts):.2f} s, median {statistics.median(starts):.2f} s "
        f"of {args.repeats}; best = {min(starts) / bare:.2f}x a bare `python -c 'import streamlit'` ({bare:.2f} s, "
        "best of the same number); goal < 5 s"
    )
    print(
        f"discharge check after the model is loaded (submit to risk, flag, scores, reasons and waterfall): "
        f"median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s over {args.repeats} submissions; "
        f"goal < 1 s. First render of the page in this process (model load included; "
        f"{'library imports included' if args.model else 'libraries already imported by the training step'}): "
        f"{first:.2f} s"
    )


if __name__ == "__main__":
    main()
