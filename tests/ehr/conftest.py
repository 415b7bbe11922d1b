"""The EHR tests' model, keys, JWK Set server and a running CDS Hooks service, all on 127.0.0.1.

The model is the app tests' model (tests/app/conftest.py: 30,000 simulated rows, 100 trees), reused by import.
Keys are generated here; the EHR's public keys are served by a local HTTP server (the allow-listed ``jku``) or
read from a JWK Set file (the second issuer). Nothing reaches the internet.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.app.conftest import app_cohort, app_model_dir, app_work  # noqa: F401 - the app tests' model, reused

FIXTURES = Path(__file__).parent / "fixtures"
ISSUER = "https://ehr.test"
STATIC_ISSUER = "https://ehr-static.test"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def jwk(public_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if alg.startswith("RS") else jwt.algorithms.ECAlgorithm
    data = algorithm.to_jwk(public_key, as_dict=True)
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


@dataclass
class Keys:
    rsa: Any
    ec256: Any
    ec384: Any
    attacker: Any


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec256=ec.generate_private_key(ec.SECP256R1()),
        ec384=ec.generate_private_key(ec.SECP384R1()),
        attacker=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


class _Files(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def _serve_files(files: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_Files,), {"files": files})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def jwks_urls(keys) -> Iterator[dict[str, str]]:
    """The EHR's JWK Set (allow-listed) and an attacker's (not allow-listed), each on its own local server."""
    good = {"keys": [jwk(keys.rsa.public_key(), "rsa-1", "RS384"), jwk(keys.ec384.public_key(), "ec-384", "ES384")]}
    # RSA keys may sign RS256 or RS384: the same key published without "alg" under a second kid.
    rsa_any = {k: v for k, v in jwk(keys.rsa.public_key(), "rsa-any", "RS256").items() if k != "alg"}
    good["keys"].append(rsa_any)
    bad = {"keys": [jwk(keys.attacker.public_key(), "rsa-1", "RS384")]}
    ehr, ehr_url = _serve_files({"/jwks.json": json.dumps(good).encode()})
    evil, evil_url = _serve_files({"/jwks.json": json.dumps(bad).encode()})
    yield {"ehr": ehr_url + "/jwks.json", "attacker": evil_url + "/jwks.json"}
    for server in (ehr, evil):
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def static_jwks(keys, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "ehr-static.jwks.json"
    path.write_text(json.dumps({"keys": [jwk(keys.ec256.public_key(), "ec-256", "ES256")]}), encoding="utf-8")
    return path


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def wait_for_service(client: Any, base: str, process: Any, timeout: float = 90) -> None:
    """Poll discovery until a ``serve-hooks`` child answers (401 without a token is an answer)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            client.get(base + "/cds-services")
            return
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read() if process.stderr else "the service exited"
            assert time.monotonic() < deadline, "the service did not start in time"
            time.sleep(0.2)


def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (a FHIR server that cannot be reached)."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/fhir"


class CountingModel:
    """The real model, counting predict calls (the insufficient-data path must never call it)."""

    def __init__(self, model: Any) -> None:
        self.model, self.calls = model, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.model.predict(*args, **kwargs)

    def predict_features(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.model.predict_features(*args, **kwargs)


@dataclass
class RunningService:
    base_url: str
    model: CountingModel
    store: Any
    unreachable_fhir: str
    app: Any = None


def run_uvicorn(app: Any, sock: socket.socket) -> tuple[Any, threading.Thread]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the CDS Hooks test server did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture(scope="session")
def service(app_model_dir, jwks_urls, static_jwks, tmp_path_factory) -> Iterator[RunningService]:  # noqa: F811
    """``chestpain serve-hooks``'s app with the test model, served by uvicorn on a free 127.0.0.1 port."""
    from chestpain.ehr import FeedbackStore, HooksConfig, create_app
    from chestpain.models import load_model

    sock = free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    unreachable = closed_port_url()
    config = HooksConfig.model_validate(
        {
            "base_url": base_url,
            "issuers": [
                {"iss": ISSUER, "jku": [jwks_urls["ehr"]]},
                {"iss": STATIC_ISSUER, "jwks_file": str(static_jwks)},
            ],
            "fhir_servers": [unreachable],
            "fhir_timeout_seconds": 1.0,
            "replay_db": str(tmp_path_factory.mktemp("replay") / "replay.sqlite"),
        }
    )
    model = CountingModel(load_model(app_model_dir))
    store = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.sqlite")
    app = create_app(model, config, store=store)
    server, thread = run_uvicorn(app, sock)
    yield RunningService(base_url, model, store, unreachable, app)
    server.should_exit = True
    thread.join(10)
    sock.close()
    store.close()


def make_token(
    key: Any,
    *,
    aud: str,
    alg: str = "RS384",
    kid: str = "rsa-1",
    iss: str = ISSUER,
    jku: str | None = None,
    lifetime: int = 300,
    issued_ago: int = 0,
    jti: str | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    now = int(time.time()) - issued_ago
    claims = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime, "jti": jti or str(uuid.uuid4())}
    for name in drop:
        claims.pop(name)
    headers: dict[str, Any] = {"kid": kid, "typ": "JWT"}
    if jku is not None:
        headers["jku"] = jku
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def prefetch_from_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """What an EHR would send for our prefetch templates, built from a fixture bundle's resources."""
    from chestpain.ehr._service import prefetch_templates

    resources = [entry["resource"] for entry in bundle["entry"]]

    def searchset(predicate: Any) -> dict[str, Any]:
        found = [r for r in resources if predicate(r)]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r} for r in found],
        }

    def coded(*codes: str) -> Any:
        return lambda r: r["resourceType"] == "Observation" and any(c["code"] in codes for c in r["code"]["coding"])

    templates = prefetch_templates("encounter-discharge")
    encounter = next(r for r in resources if r["resourceType"] == "Encounter" and r["status"] == "in-progress")
    codes_in = {
        key: [part.split("|")[1] for part in query.split("code=")[1].split(",")]
        for key, query in templates.items()
        if "code=" in query
    }
    return {
        "patient": next(r for r in resources if r["resourceType"] == "Patient"),
        "encounter": encounter,
        **{key: searchset(coded(*codes)) for key, codes in codes_in.items()},
        "conditions": searchset(lambda r: r["resourceType"] == "Condition"),
        "familyHistory": searchset(lambda r: r["resourceType"] == "FamilyMemberHistory"),
    }


def hook_request(bundle: dict[str, Any], hook: str = "encounter-discharge", **changes: Any) -> dict[str, Any]:
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    encounter = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Encounter" and e["resource"]["status"] == "in-progress"
    )
    context = {"userId": "Practitioner/example", "patientId": patient["id"]}
    if hook == "encounter-discharge":
        context["encounterId"] = encounter["id"]
    body = {
        "hookInstance": str(uuid.uuid4()),
        "hook": hook,
        "context": context,
        "prefetch": prefetch_from_bundle(bundle),
    }
    body.update(changes)
    return body
