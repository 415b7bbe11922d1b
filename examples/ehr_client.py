"""A CDS Hooks client a hospital engineer can run: key, JWK Set, config, service, discovery, hook, feedback, card.

Everything an EHR integration needs, end to end on 127.0.0.1, with nothing but this repository:

1. make the EHR's signing key (RSA 2048) and publish its public half as a JWK Set file (``jwks.json``);
2. write the service's config (``hooks.yaml``: base URL, the trusted issuer and its key file);
3. start ``chestpain serve-hooks`` with that config and a model;
4. call discovery, then the ``encounter-discharge`` hook with a FHIR R4 bundle split into the prefetch keys the
   discovery document asks for, each call with a fresh signed token (RS384, ``aud`` = the URL called);
5. post feedback for the card (accepted) and print the card.

Usage::

    python examples/ehr_client.py --model models:/chest-pain-triage@champion
    python examples/ehr_client.py --model path/to/model --bundle tests/ehr/fixtures/visit_1015.json --keep out/

``tests/ehr/test_example_client.py`` runs it in ``make test``. A research and audit tool, not a medical device.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[1]
ISSUER = "https://ehr.example.local"
KID = "ehr-signing-1"
HOOK = "/cds-services/chest-pain-discharge"


def make_keys(folder: Path) -> Any:
    """The EHR's private key (kept by the EHR) and its public JWK Set file (given to the service)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwks = {"keys": [{**public, "kid": KID, "alg": "RS384", "use": "sig"}]}
    (folder / "jwks.json").write_text(json.dumps(jwks, indent=2), encoding="utf-8")
    return key


def write_config(folder: Path, port: int) -> Path:
    """The service's config: where it listens, the one trusted issuer and its key file, its two databases."""
    config = {
        "base_url": f"http://127.0.0.1:{port}",
        "host": "127.0.0.1",
        "port": port,
        "issuers": [{"iss": ISSUER, "jwks_file": "jwks.json"}],  # relative paths are beside this file
        "feedback_db": "hooks-feedback.sqlite",
        "replay_db": "hooks-replay.sqlite",
    }
    path = folder / "hooks.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def token(key: Any, url: str) -> str:
    """A CDS Hooks 2.0 bearer token for one call: short-lived, unique ``jti``, ``aud`` the endpoint called."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="RS384", headers={"kid": KID, "typ": "JWT"})


def prefetch(bundle: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The bundle as an EHR answers the prefetch templates: the Patient, the current Encounter, the rest."""
    resources = [entry["resource"] for entry in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    encounter = next(r for r in resources if r["resourceType"] == "Encounter" and r.get("status") == "in-progress")
    others = [r for r in resources if r is not patient and r is not encounter]
    answer: dict[str, Any] = {key: {"resourceType": "Bundle", "type": "searchset", "entry": []} for key in keys}
    answer["patient"], answer["encounter"] = patient, encounter
    # The service reads every prefetch value, so the searches' results may share one Bundle; each key is answered.
    answer["troponin"] = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in others]}
    return answer


def wait_until_up(client: httpx.Client, base: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """Poll discovery until the service answers (401 without a token is an answer)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.get(base + "/cds-services")  # 401 without a token: the server is up
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the CDS Hooks service did not start") from None
            time.sleep(0.2)


def free_port() -> int:
    """A port nothing listens on (the service binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(model: str, bundle_path: Path, folder: Path) -> dict[str, Any]:
    """Steps 1-5 of the module docstring in ``folder``; returns the card."""
    key = make_keys(folder)
    port = free_port()
    config = write_config(folder, port)
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", "from chestpain.cli.main import main; main()", "serve-hooks"]
    server = subprocess.Popen([*command, "--model", model, "--config", str(config)])
    try:
        with httpx.Client(timeout=60, trust_env=False) as client:
            wait_until_up(client, base, server)
            signed = {"Authorization": "Bearer " + token(key, base + "/cds-services")}
            services = client.get(base + "/cds-services", headers=signed).raise_for_status().json()["services"]
            discharge = next(s for s in services if s["id"] == "chest-pain-discharge")
            keys = ", ".join(discharge["prefetch"])
            print(f"discovery: {len(services)} services; '{discharge['id']}' prefetches {keys}")

            bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
            answers = prefetch(bundle, list(discharge["prefetch"]))
            body = {
                "hookInstance": str(uuid.uuid4()),
                "hook": "encounter-discharge",
                "context": {
                    "userId": "Practitioner/example",
                    "patientId": answers["patient"]["id"],
                    "encounterId": answers["encounter"]["id"],
                },
                "prefetch": answers,
            }
            signed = {"Authorization": "Bearer " + token(key, base + HOOK)}
            card = client.post(base + HOOK, json=body, headers=signed).raise_for_status().json()["cards"][0]

            accepted = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-01-01T00:00:00Z"}
            feedback = {"feedback": [accepted]}
            signed = {"Authorization": "Bearer " + token(key, base + HOOK + "/feedback")}
            client.post(base + HOOK + "/feedback", json=feedback, headers=signed).raise_for_status()
            print("feedback: accepted, stored by sex, race and age band only")
    finally:
        server.terminate()
        server.wait(20)
    print(f"card ({card['indicator']}): {card['summary']}")
    print(card["detail"])
    return card


def main() -> None:
    """Command line: ``--model`` (required), ``--bundle``, ``--keep``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model directory or registry URI (models:/NAME@ALIAS)")
    parser.add_argument(
        "--bundle", type=Path, default=REPO / "tests/ehr/fixtures/visit_1015.json", help="a FHIR R4 Bundle (JSON)"
    )
    parser.add_argument("--keep", type=Path, help="write the key set, config and databases here (default: a temp dir)")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.model, args.bundle, args.keep)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(args.model, args.bundle, Path(folder))


if __name__ == "__main__":
    main()
