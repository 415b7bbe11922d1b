"""The CDS Hooks service over real HTTP on 127.0.0.1: cards, 401 for every token fault, 412, feedback."""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization

from chestpain.ehr import CDS_RESPONSE_SCHEMA, override_rates
from chestpain.features import clinical_scores, read_table
from chestpain.models import load_model
from tests.ehr.conftest import (
    FIXTURES,
    ISSUER,
    STATIC_ISSUER,
    hook_request,
    load_fixture,
    make_token,
)

SERVICE = "/cds-services/chest-pain-discharge"
VARIANTS = [
    "variant_no_troponin.json",
    "variant_non_hs_troponin.json",
    "variant_other_encounter_troponin.json",
    "variant_missing_vitals.json",
]


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=30, trust_env=False) as http:
        yield http


def post(client, service, body, path=SERVICE, token=None, key=None):
    token = token or make_token(key, aud=service.base_url + path)
    return client.post(service.base_url + path, json=body, headers={"Authorization": f"Bearer {token}"})


def good_token(service, keys, path=SERVICE, **kwargs):
    return make_token(keys.rsa, aud=service.base_url + path, **kwargs)


def test_discovery_lists_both_hooks_with_prefetch(service, keys, client):
    response = client.get(
        service.base_url + "/cds-services",
        headers={"Authorization": f"Bearer {good_token(service, keys, '/cds-services')}"},
    )
    assert response.status_code == 200
    services = {s["hook"]: s for s in response.json()["services"]}
    assert set(services) == {"encounter-discharge", "patient-view"}
    for entry in services.values():
        assert {"patient", "encounter", "troponin", "vitals", "ecg", "conditions"} <= set(entry["prefetch"])
        assert "89579-7" in entry["prefetch"]["troponin"]


def expected_indicator(model, row_frame):
    prediction = model.predict(row_frame)
    esc = clinical_scores(read_visits_frame(row_frame))["esc_0_1h"].iloc[0]
    if esc == "rule-in":
        return "critical", prediction
    return ("warning" if prediction["flag"].iloc[0] else "info"), prediction


def read_visits_frame(frame):
    from chestpain.features import validate_visits

    return validate_visits(frame, symptom_source="doc")


@pytest.mark.parametrize("pid", [1004, 1007, 1015])
def test_encounter_discharge_gives_a_schema_valid_card_matching_the_csv_row(service, keys, client, app_model_dir, pid):
    response = post(client, service, hook_request(load_fixture(f"visit_{pid}.json")), token=good_token(service, keys))
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, CDS_RESPONSE_SCHEMA)
    (card,) = body["cards"]
    csv = read_table(FIXTURES / "visits.csv")
    row = csv[csv["patient_id"] == str(pid)].reset_index(drop=True)
    indicator, prediction = expected_indicator(load_model(app_model_dir), row)
    assert card["indicator"] == indicator
    assert len(card["summary"]) < 140
    assert prediction["reasons"].iloc[0] in card["detail"]  # the same reasons as the CSV row's
    if indicator != "info":
        assert card["suggestions"][0]["label"].startswith("Repeat hs-troponin")
        assert card["suggestions"][0]["actions"][0]["resource"]["code"]["coding"][0]["code"] == "89579-7"
    assert "HEART score" in card["detail"] and "ESC 2020 0/1 h" in card["detail"]


def test_rule_in_by_a_1h_rise_is_critical(service, keys, client):
    # 1015: 0 h 18 ng/L, 1 h 31 ng/L: a change >= 6 ng/L rules in on ESC 2020 (Collet 2021).
    response = post(client, service, hook_request(load_fixture("visit_1015.json")), token=good_token(service, keys))
    (card,) = response.json()["cards"]
    assert card["indicator"] == "critical"
    assert "rule-in" in card["detail"]


def test_patient_view_hook_is_served_by_the_same_handler(service, keys, client):
    path = "/cds-services/chest-pain-patient-view"
    body = hook_request(load_fixture("visit_1015.json"), hook="patient-view")
    response = post(client, service, body, path=path, token=good_token(service, keys, path))
    assert response.status_code == 200
    assert response.json()["cards"][0]["indicator"] == "critical"


@pytest.mark.parametrize("name", VARIANTS)
def test_insufficient_data_is_a_warning_never_info_and_the_model_is_not_called(service, keys, client, name):
    calls = service.model.calls
    response = post(client, service, hook_request(load_fixture(name)), token=good_token(service, keys))
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, CDS_RESPONSE_SCHEMA)
    (card,) = body["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("No MI risk assessment made, insufficient data")
    assert "No assessment was made" in card["detail"]
    assert "suggestions" not in card
    assert service.model.calls == calls


def test_missing_prefetch_without_a_reachable_fhir_server_is_412(service, keys, client):
    body = hook_request(load_fixture("visit_1004.json"))
    del body["prefetch"]["troponin"]
    assert post(client, service, body, token=good_token(service, keys)).status_code == 412
    # An allow-listed FHIR server that does not answer.
    body["fhirServer"] = service.unreachable_fhir
    body["fhirAuthorization"] = {
        "access_token": "x",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds",
    }
    assert post(client, service, body, token=good_token(service, keys)).status_code == 412
    # A server that is not on the allow-list is never contacted.
    body["fhirServer"] = "http://127.0.0.1:9/fhir"
    assert post(client, service, body, token=good_token(service, keys)).status_code == 412
    body["prefetch"]["troponin"] = None  # null: the EHR could not run the query
    assert post(client, service, body, token=good_token(service, keys)).status_code == 412


def hs256_by_hand(secret: bytes, aud: str) -> str:
    """The classic key-confusion token (PyJWT refuses to make it, so it is signed here with hmac)."""
    import base64
    import hashlib
    import hmac
    import json
    import time

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}).encode())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(secret, header + b"." + payload, hashlib.sha256).digest())
    return (header + b"." + payload + b"." + signature).decode()


def faults(service, keys, jwks_urls):
    aud = service.base_url + SERVICE
    rsa_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    used = str(uuid.uuid4())
    return {
        "no header": None,
        "not a JWT": "Bearer not.a.jwt",
        "HS256 with the public key as secret (key confusion)": hs256_by_hand(rsa_pem, aud),
        "HS256 with a shared secret": make_token("s" * 32, aud=aud, alg="HS256"),
        "alg none": make_token(None, aud=aud, alg="none"),
        "wrong audience (host)": make_token(keys.rsa, aud="http://evil.example" + SERVICE),
        "audience of another endpoint": make_token(keys.rsa, aud=service.base_url + "/cds-services"),
        "unknown issuer": make_token(keys.rsa, aud=aud, iss="https://unknown.example"),
        "jku not allow-listed (attacker's keys)": make_token(keys.attacker, aud=aud, jku=jwks_urls["attacker"]),
        "signed by another key": make_token(keys.attacker, aud=aud),
        "unknown kid": make_token(keys.rsa, aud=aud, kid="nope"),
        "expired": make_token(keys.rsa, aud=aud, issued_ago=3600, lifetime=600),
        "no jti": make_token(keys.rsa, aud=aud, drop=("jti",)),
        "no exp": make_token(keys.rsa, aud=aud, drop=("exp",)),
        "lifetime too long": make_token(keys.rsa, aud=aud, lifetime=24 * 3600),
        "static issuer with the jku of the other": make_token(
            keys.ec256, aud=aud, alg="ES256", kid="ec-256", iss=STATIC_ISSUER, jku=jwks_urls["ehr"]
        ),
        "replayed jti": ("replay", used),
    }


def test_every_token_fault_gets_a_bare_401(service, keys, client, jwks_urls):
    body = hook_request(load_fixture("visit_1004.json"))
    for name, token in faults(service, keys, jwks_urls).items():
        if isinstance(token, tuple):
            token = make_token(keys.rsa, aud=service.base_url + SERVICE, jti=token[1])
            assert post(client, service, body, token=token).status_code == 200, name
        headers = {} if token is None else {"Authorization": token if token.startswith("Bearer") else f"Bearer {token}"}
        response = client.post(service.base_url + SERVICE, json=body, headers=headers)
        assert response.status_code == 401, name
        assert response.content == b"", name  # bare: nothing about why


def test_401_also_guards_discovery_and_feedback(service, client):
    assert client.get(service.base_url + "/cds-services").status_code == 401
    assert client.post(service.base_url + SERVICE + "/feedback", json={"feedback": []}).status_code == 401


@pytest.mark.parametrize(
    ("alg", "kid", "key_name", "iss"),
    [
        ("RS256", "rsa-any", "rsa", ISSUER),
        ("ES384", "ec-384", "ec384", ISSUER),
        ("ES256", "ec-256", "ec256", STATIC_ISSUER),
    ],
)
def test_asymmetric_algorithms_and_a_static_jwks_file_are_accepted(
    service, keys, client, jwks_urls, alg, kid, key_name, iss
):
    jku = jwks_urls["ehr"] if iss == ISSUER else None
    token = make_token(getattr(keys, key_name), aud=service.base_url + SERVICE, alg=alg, kid=kid, iss=iss, jku=jku)
    assert post(client, service, hook_request(load_fixture("visit_1004.json")), token=token).status_code == 200


def test_feedback_is_stored_by_group_without_identifiers(service, keys, client):
    cards = {}
    for pid in (1015, 1007):
        response = post(
            client, service, hook_request(load_fixture(f"visit_{pid}.json")), token=good_token(service, keys)
        )
        cards[pid] = response.json()["cards"][0]
    feedback = {
        "feedback": [
            {
                "card": cards[1015]["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-03-02T09:30:00Z",
                "overrideReason": {"reason": cards[1015]["overrideReasons"][0], "userComment": "seen"},
            },
            {"card": cards[1007]["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-03-02T09:31:00Z"},
        ]
    }
    path = SERVICE + "/feedback"
    assert post(client, service, feedback, path=path, token=good_token(service, keys, path)).status_code == 200
    bad = {"feedback": [{"card": cards[1007]["uuid"], "outcome": "ignored"}]}
    assert post(client, service, bad, path=path, token=good_token(service, keys, path)).status_code == 400
    outcomes = service.store.outcomes()
    mine = outcomes[outcomes["reason"].eq("clinical-judgement") | outcomes["outcome"].eq("accepted")]
    assert {"female"} <= set(mine["sex"]) and {"<55", ">=55"} & set(mine["age_band"])
    rates = override_rates(outcomes)
    white_women = rates[(rates["attribute"] == "race") & (rates["group"] == "white")]
    assert white_women["n_overridden"].iloc[0] >= 1
    # Nothing that identifies a patient is in the file: no ids, birth dates, ages or encounter ids. Card uuids
    # (random hex) and timestamps may contain any 4 digits by chance (a patient id such as 1007 appeared in one run's
    # timestamp), so the patient ids are looked for in every other value; the text markers in the whole dump.
    with sqlite3.connect(service.store.path) as db:
        dump = "\n".join(db.iterdump())
        columns = {
            table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")] for table in ("cards", "feedback")
        }
        assert columns == {
            "cards": ["uuid", "service", "indicator", "sex", "race", "age_band", "issued"],
            "feedback": ["card", "outcome", "reason", "received"],
        }
        values = [
            str(value)
            for table, skip in (("cards", {0, 6}), ("feedback", {0, 3}))
            for row in db.execute(f"SELECT * FROM {table}")
            for i, value in enumerate(row)
            if i not in skip
        ]
    for secret in ("1015", "1007"):
        assert not any(secret in value for value in values), values
    for secret in ("enc-", "1974-01-15", "Patient/"):
        assert secret not in dump


def test_cors_preflight_for_a_browser_sandbox_passes_but_calls_still_need_a_token(tmp_path, client):
    from chestpain.ehr import FeedbackStore, HooksConfig, create_app
    from tests.ehr.conftest import free_socket, run_uvicorn

    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = HooksConfig(
        base_url=base,
        cors_origins=["https://sandbox.example"],
        issuers=[{"iss": ISSUER, "jku": [base + "/jwks"]}],
        replay_db=tmp_path / "replay.sqlite",
    )
    store = FeedbackStore(tmp_path / "f.sqlite")
    server, thread = run_uvicorn(create_app(None, config, store=store), sock)
    try:
        headers = {
            "Origin": "https://sandbox.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        preflight = client.options(base + "/cds-services/chest-pain-discharge", headers=headers)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://sandbox.example"
        assert client.get(base + "/cds-services", headers={"Origin": "https://sandbox.example"}).status_code == 401
        other = client.options(base + "/cds-services", headers={**headers, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        store.close()


def _without_uuid(value):
    """A card without its own and its suggestions' fresh uuids (new for every call)."""
    if isinstance(value, dict):
        return {key: _without_uuid(item) for key, item in value.items() if key != "uuid"}
    if isinstance(value, list):
        return [_without_uuid(item) for item in value]
    return value


def test_concurrent_calls_are_answered_in_batches_each_with_its_lone_card(service, keys, client):
    """Calls that arrive together share one model run (ehr._batching); each still gets exactly its own card."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["visit_1004.json", "visit_1007.json", "visit_1015.json", "variant_missing_vitals.json"] * 3
    bodies = [hook_request(load_fixture(name)) for name in names]
    lone = [
        _without_uuid(post(client, service, body, token=good_token(service, keys)).json()["cards"][0])
        for body in bodies[:4]
    ]
    batcher = service.app.state.batcher
    for _attempt in range(3):  # batching depends on arrival times; three rounds make a batch of one per round unlikely
        seen = len(batcher.batch_sizes)
        tokens = [good_token(service, keys) for _ in bodies]
        with ThreadPoolExecutor(len(bodies)) as pool:
            responses = list(
                pool.map(lambda pair: post(client, service, *pair[:1], token=pair[1]), zip(bodies, tokens, strict=True))
            )
        assert [r.status_code for r in responses] == [200] * len(bodies)
        cards = [_without_uuid(r.json()["cards"][0]) for r in responses]
        assert cards == [lone[i % 4] for i in range(len(bodies))]
        if max(batcher.batch_sizes[seen:]) > 1:
            break
    assert max(batcher.batch_sizes[seen:]) > 1
