"""Many EHR clients at once: p50 / p95 latency, calls per second and errors of the CDS Hooks service under load.

Starts ``chestpain serve-hooks`` as users run it (a child process on 127.0.0.1, the real app: JWT check, FHIR
mapping, model with reasons, card, feedback row), once per ``--workers`` value, and lets ``--clients`` threads each
post ``--calls`` encounter-discharge requests (prefetch from tests/ehr/fixtures/visit_1015.json, a fresh token
per call), all at once. Then one client alone, for the single-client figure. Prints each run's p50 / p95, calls
per second, errors, and the ratio of each p95 to the single-client p95 with one worker (machines here are noisy:
compare ratios within one run).

The model is trained here (30,000 simulated rows, 100 trees: the test model) unless --model names one.

Usage: python benchmarks/bench_hooks_load.py [--clients 20] [--calls 10] [--workers 1 2] [--model MODEL_DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import jwt
import numpy as np
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_hooks import free_port, train_model, wait_until_up  # noqa: E402 - the sibling benchmark's helpers

PATH = "/cds-services/chest-pain-discharge"


def start(model: str, folder: Path, key_file: Path, workers: int) -> tuple[str, subprocess.Popen]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = folder / f"hooks-{workers}.json"
    config.write_text(
        json.dumps(
            {
                "base_url": base,
                "port": port,
                "issuers": [{"iss": "https://ehr.bench", "jwks_file": str(key_file)}],
                "feedback_db": str(folder / f"feedback-{workers}.sqlite"),
                "replay_db": str(folder / f"replay-{workers}.sqlite"),
            }
        ),
        encoding="utf-8",
    )
    command = [sys.executable, "-c", "from chestpain.cli.main import main; main()", "serve-hooks"]
    process = subprocess.Popen(
        [*command, "--model", model, "--config", str(config), "--workers", str(workers)],
        cwd=folder,
        stderr=subprocess.DEVNULL,
    )
    with httpx.Client(timeout=10, trust_env=False) as client:
        wait_until_up(client, base, process)
    return base, process


def load(base: str, key: object, body: dict, clients: int, calls: int) -> tuple[list[float], int, float]:
    """``clients`` threads, ``calls`` calls each, started together; latencies, errors, wall time."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    gate = threading.Barrier(clients)

    def client_thread() -> None:
        with httpx.Client(timeout=120, trust_env=False) as client:
            gate.wait()
            for _ in range(calls):
                now = int(time.time())
                claims = {"iss": "https://ehr.bench", "aud": base + PATH, "iat": now, "exp": now + 300}
                token = jwt.encode({**claims, "jti": str(uuid.uuid4())}, key, algorithm="RS384", headers={"kid": "k1"})
                start = time.perf_counter()
                response = client.post(base + PATH, json=body, headers={"Authorization": f"Bearer {token}"})
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    errors[0] += response.status_code != 200

    threads = [threading.Thread(target=client_thread) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model")
    args = parser.parse_args()
    from tests.ehr.conftest import hook_request, jwk, load_fixture

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = hook_request(load_fixture("visit_1015.json"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = args.model or train_model(folder)
        key_file = folder / "jwks.json"
        key_file.write_text(json.dumps({"keys": [jwk(key.public_key(), "k1", "RS384")]}), encoding="utf-8")
        single_p95 = None
        for workers in args.workers:
            base, process = start(model, folder, key_file, workers)
            try:
                load(base, key, body, 2 * workers, 3)  # warm every worker (JWK Set, xgboost, pandas)
                single, single_errors, _ = load(base, key, body, 1, 30)
                many, errors, wall = load(base, key, body, args.clients, args.calls)
            finally:
                process.terminate()
                process.wait(30)
            p95_single = float(np.percentile(single, 95))
            single_p95 = single_p95 or p95_single
            p50, p95 = float(np.percentile(many, 50)), float(np.percentile(many, 95))
            print(
                f"workers {workers}: one client p95 {p95_single * 1000:.0f} ms ({single_errors} errors); "
                f"{args.clients} clients p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
                f"({p95 / single_p95:.1f}x the one-worker single-client p95), "
                f"{len(many) / wall:.1f} calls/s, {errors} errors of {len(many)}"
            )


if __name__ == "__main__":
    main()
