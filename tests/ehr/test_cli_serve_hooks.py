"""`chestpain serve-hooks` as a user runs it: a child process on 127.0.0.1, answering only signed requests."""

from __future__ import annotations

import subprocess
import sys

import httpx
import yaml
from typer.testing import CliRunner

from chestpain.cli.main import app as cli
from tests.ehr.conftest import ISSUER, free_socket, hook_request, load_fixture, make_token, wait_for_service

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_bad_config_is_one_line_error(tmp_path):
    config = tmp_path / "hooks.yaml"
    config.write_text("algorithms: [HS256]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve-hooks", "--model", str(tmp_path), "--config", str(config)])
    assert result.exit_code == 1
    assert "algorithms" in result.output and "not allowed" in result.output
    config.write_text("bind_everything: true\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve-hooks", "--model", str(tmp_path), "--config", str(config)])
    assert result.exit_code == 1 and "bind_everything" in result.output


def test_cli_help_does_not_import_the_web_stack():
    code = (
        "import sys; from chestpain.cli.main import app; print(*(m in sys.modules for m in ('fastapi', 'fhir', 'jwt')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.split() == ["False", "False", "False"]


def test_serve_hooks_process_answers_signed_discovery_on_localhost(app_model_dir, keys, jwks_urls, tmp_path):
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    config = tmp_path / "hooks.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "base_url": base,
                "port": port,
                "issuers": [{"iss": ISSUER, "jku": [jwks_urls["ehr"]]}],
                "feedback_db": "feedback.sqlite",  # relative: beside the config, not in the working directory
            }
        ),
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-c",
        "from chestpain.cli.main import main; main()",
        "serve-hooks",
        "--model",
        str(app_model_dir),
        "--config",
        str(config),
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with httpx.Client(timeout=5, trust_env=False) as client:
            wait_for_service(client, base, process, timeout=60)
            assert client.get(base + "/cds-services").status_code == 401
            token = make_token(keys.rsa, aud=base + "/cds-services")
            response = client.get(base + "/cds-services", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200 and len(response.json()["services"]) == 2
            path = "/cds-services/chest-pain-discharge"
            token = make_token(keys.rsa, aud=base + path)
            body = hook_request(load_fixture("visit_1015.json"))
            response = client.post(base + path, json=body, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert b"1015" not in err  # nothing about patients in the server's output
    # One start-up line (address, issuers, model, feedback file) and nothing per request.
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("CDS Hooks on http://127.0.0.1") and ISSUER in lines[0], lines
    assert (tmp_path / "feedback.sqlite").exists() and not (REPO / "feedback.sqlite").exists()


def test_two_workers_share_the_replay_memory(app_model_dir, keys, jwks_urls, tmp_path):
    # --workers 2: two processes behind one port; a token used once is refused by whichever worker gets it again.
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    config = tmp_path / "hooks.yaml"
    config.write_text(
        yaml.safe_dump({"base_url": base, "port": port, "issuers": [{"iss": ISSUER, "jku": [jwks_urls["ehr"]]}]}),
        encoding="utf-8",
    )
    command = [sys.executable, "-c", "from chestpain.cli.main import main; main()", "serve-hooks"]
    command += ["--model", str(app_model_dir), "--config", str(config), "--workers", "2"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            wait_for_service(client, base, process)
            path = "/cds-services/chest-pain-discharge"
            body = hook_request(load_fixture("visit_1015.json"))
            statuses = []
            for _ in range(6):  # fresh connections: the kernel spreads them over both workers
                token = make_token(keys.rsa, aud=base + path)
                with httpx.Client(timeout=30, trust_env=False) as fresh:
                    headers = {"Authorization": f"Bearer {token}"}
                    statuses.append(fresh.post(base + path, json=body, headers=headers).status_code)
                    with httpx.Client(timeout=30, trust_env=False) as again:
                        statuses.append(-again.post(base + path, json=body, headers=headers).status_code)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert statuses == [200, -401] * 6, statuses
    assert (tmp_path / "hooks-replay.sqlite").exists() and b"workers: 2" in err
