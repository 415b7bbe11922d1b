"""Issue 26: no 5xx from any input, feedback that stores only what README promises, a body size limit.

The findings of the adversarial run, each reproduced here (they gave 500, stored free text or half a batch on
the code before this file), and a hypothesis fuzz test over tokens, bodies and feedback that must find no 5xx.
The app runs under uvicorn on a free 127.0.0.1 port (as the other EHR tests); keys and the JWK Set server are
theirs.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ehr.conftest import ISSUER, STATIC_ISSUER, hook_request, load_fixture, make_token

BASE = ""  # the running service's URL, set by the ``hooks`` fixture (tokens' ``aud`` is built from it)

SERVICE = "/cds-services/chest-pain-discharge"
FEEDBACK = SERVICE + "/feedback"
LIMIT = 256 * 1024  # small enough to test, large enough for the fixtures' bundles (about 30 kB)


class _Client:
    """httpx against the running service, with relative paths (the tests below read as the EHR calls)."""

    def __init__(self, base: str) -> None:
        import httpx

        self.base, self.http = base, httpx.Client(timeout=30, trust_env=False)

    def post(self, path: str, **kwargs: Any):
        return self.http.post(self.base + path, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.http.get(self.base + path, **kwargs)


@pytest.fixture(scope="module")
def hooks(app_model_dir, jwks_urls, static_jwks, tmp_path_factory):  # noqa: F811 - conftest fixtures
    from chestpain.ehr import FeedbackStore, HooksConfig, create_app
    from chestpain.models import load_model
    from tests.ehr.conftest import free_socket, run_uvicorn

    global BASE
    sock = free_socket()
    BASE = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = HooksConfig.model_validate(
        {
            "base_url": BASE,
            "issuers": [
                {"iss": ISSUER, "jku": [jwks_urls["ehr"]]},
                {"iss": STATIC_ISSUER, "jwks_file": str(static_jwks)},
            ],
            "max_body_bytes": LIMIT,
            "replay_db": str(tmp_path_factory.mktemp("replay") / "replay.sqlite"),
        }
    )
    store = FeedbackStore(tmp_path_factory.mktemp("hardening") / "feedback.sqlite")
    server, thread = run_uvicorn(create_app(load_model(app_model_dir), config, store=store), sock)
    client = _Client(BASE)
    yield client, store
    client.http.close()
    server.should_exit = True
    thread.join(10)
    sock.close()
    store.close()


def _auth(keys, path: str = SERVICE, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + make_token(keys.rsa, aud=BASE + path, **kwargs)}


def _post(hooks, keys, body: Any, path: str = SERVICE, raw: bytes | None = None):
    client, _ = hooks
    content = raw if raw is not None else json.dumps(body).encode()
    headers = {**_auth(keys, path), "Content-Type": "application/json"}
    return client.post(path, content=content, headers=headers)


def _by_hand(key: Any, alg: str, kid: str, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def _claims(**changes: Any) -> dict[str, Any]:
    import time

    now = int(time.time())
    return {"iss": ISSUER, "aud": BASE + SERVICE, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **changes}


def hostile_tokens(keys) -> dict[str, str]:
    throwaway_ec = ec.generate_private_key(ec.SECP256R1())
    throwaway_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        # Each gave 500 with a traceback before this change.
        "ES256 naming the configured RSA kid": _by_hand(throwaway_ec, "ES256", "rsa-1", _claims()),
        "RS256 naming an EC kid": _by_hand(throwaway_rsa, "RS256", "ec-384", _claims()),
        "exp = 10^400": _by_hand(keys.rsa, "RS384", "rsa-1", _claims(exp=10**400)),
        "iat a string": _by_hand(keys.rsa, "RS384", "rsa-1", _claims(iat="yesterday")),
        # Accepted before: the JWK says RS384, the token RS256 with the same RSA key.
        "RS256 with a JWK whose alg is RS384": _by_hand(keys.rsa, "RS256", "rsa-1", _claims()),
        "oversized": _by_hand(keys.rsa, "RS384", "rsa-1", _claims(padding="x" * 20_000)),
        "jti a number": _by_hand(keys.rsa, "RS384", "rsa-1", _claims(jti=12345)),
    }


def test_hostile_tokens_get_a_bare_401_never_a_500(hooks, keys):
    client, _ = hooks
    body = hook_request(load_fixture("visit_1004.json"))
    for name, token in hostile_tokens(keys).items():
        response = client.post(SERVICE, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.content == b"", name
    # The same request with a good token is answered (the refusals above are the tokens, not the body).
    assert client.post(SERVICE, json=body, headers=_auth(keys)).status_code == 200


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"prefetch": ["a", "list"]}, "prefetch"),
        ({"prefetch": "a string"}, "prefetch"),
        ({"prefetch": 7}, "prefetch"),
        ({"prefetch": {"patient": [1, 2]}}, "prefetch"),
        ({"context": "patient 1004"}, "context.patientId"),
        ({"context": {"patientId": 1004}}, "context.patientId"),
        ({"context": {"patientId": "x" * 65}}, "context.patientId"),
        ({"fhirAuthorization": "token"}, "fhirAuthorization"),
        ({"fhirServer": ["http://a"]}, "fhirServer"),
    ],
)
def test_a_malformed_envelope_is_a_400_with_one_line(hooks, keys, change, words):
    body = {**hook_request(load_fixture("visit_1004.json")), **change}
    response = _post(hooks, keys, body)
    assert response.status_code == 400
    message = response.json()["error"]
    assert words in message and "\n" not in message
    assert "1004" not in message  # the caller's values are never echoed


@pytest.mark.parametrize("raw", [b"[1, 2]", b"not json", b"\xff\xfe", b"[" * 100_000, b""])
def test_a_body_that_is_not_a_json_object_is_a_400(hooks, keys, raw):
    assert _post(hooks, keys, None, raw=raw).status_code == 400
    assert _post(hooks, keys, None, path=FEEDBACK, raw=raw).status_code == 400


def test_a_body_over_the_limit_is_413_declared_or_streamed(hooks, keys):
    client, _ = hooks
    big = json.dumps({"hook": "encounter-discharge", "padding": "x" * (LIMIT + 10)}).encode()
    assert _post(hooks, keys, None, raw=big).status_code == 413

    def chunks():  # no Content-Length: the limit holds while reading
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    response = client.post(SERVICE, content=chunks(), headers={**_auth(keys), "Content-Type": "application/json"})
    assert response.status_code == 413


def _issue_card(hooks, keys, pid: int = 1015) -> dict[str, Any]:
    return _post(hooks, keys, hook_request(load_fixture(f"visit_{pid}.json"))).json()["cards"][0]


def _dump(store) -> str:
    with sqlite3.connect(store.path) as db:
        return "\n".join(db.iterdump())


@pytest.mark.parametrize(
    "override",
    [
        {"reason": {"code": "Jane Doe MRN 8812345"}},
        {"reason": {"code": "x" * 1_000_000}},
        {"reason": "Jane Doe"},
        {"reason": ["clinical-judgement"]},
        "clinical-judgement, seen by Dr Smith",
    ],
)
def test_feedback_refuses_any_reason_but_the_cards_own_codes(hooks, keys, override):
    _, store = hooks
    card = _issue_card(hooks, keys)
    body = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "overrideReason": override}]}
    response = _post(hooks, keys, body, path=FEEDBACK)
    assert response.status_code in (400, 413)  # 1 MB of reason is also over this service's body limit
    dump = _dump(store)
    assert "Jane" not in dump and "Smith" not in dump and "8812345" not in dump and "xxxxxxxx" not in dump
    assert card["uuid"] not in store.outcomes().to_string()


def test_feedback_is_all_or_nothing_and_keeps_no_free_text_or_time_of_day(hooks, keys):
    _, store = hooks
    first, second = _issue_card(hooks, keys, 1015), _issue_card(hooks, keys, 1007)
    good = {
        "card": first["uuid"],
        "outcome": "overridden",
        "outcomeTimestamp": "2026-03-02T09:30:00Z",
        "overrideReason": {"reason": first["overrideReasons"][0], "userComment": "Jane Doe, MRN 8812345"},
    }
    bad = {"card": second["uuid"], "outcome": "ignored"}
    assert _post(hooks, keys, {"feedback": [good, bad]}, path=FEEDBACK).status_code == 400
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT count(*) FROM feedback WHERE card = ?", (first["uuid"],)).fetchone()[0] == 0
    assert _post(hooks, keys, {"feedback": [good]}, path=FEEDBACK).status_code == 200
    with sqlite3.connect(store.path) as db:
        stored = db.execute("SELECT reason, received FROM feedback WHERE card = ?", (first["uuid"],)).fetchone()
        issued = db.execute("SELECT issued FROM cards WHERE uuid = ?", (first["uuid"],)).fetchone()[0]
    assert stored[0] == "clinical-judgement"
    # A coarse date: the day, never the time of day (an issue and a receipt time to the microsecond could be
    # matched against the EHR's audit log to name the patient).
    for value in (stored[1], issued):
        assert isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-", value
    dump = _dump(store)
    assert "Jane" not in dump and "8812345" not in dump and "09:30" not in dump


def test_cards_older_than_the_retention_are_pruned_with_their_feedback(tmp_path):
    from chestpain.ehr import FeedbackStore

    store = FeedbackStore(tmp_path / "f.sqlite", retention_days=30)
    with sqlite3.connect(store.path) as db:
        db.execute("INSERT INTO cards VALUES ('old', 's', 'info', 'female', 'white', '<55', '2000-01-01')")
        db.execute("INSERT INTO feedback VALUES ('old', 'accepted', NULL, '2000-01-02')")
        # A store written before dates were coarsened: seconds since the epoch (2026-03-02 09:30:00 UTC).
        db.execute("INSERT INTO cards VALUES ('legacy', 's', 'info', 'male', 'black', '>=55', 1772443800.123)")
    store.close()
    store = FeedbackStore(tmp_path / "f.sqlite", retention_days=36500)
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT issued FROM cards WHERE uuid = 'legacy'").fetchone()[0] == "2026-03-02"
    store.close()
    store = FeedbackStore(tmp_path / "f.sqlite", retention_days=30)
    store.card_issued("new", "s", "info", {"sex": "female", "race": "white", "age_band": "<55"})
    with sqlite3.connect(store.path) as db:
        assert [row[0] for row in db.execute("SELECT uuid FROM cards ORDER BY uuid")] == ["new"]
        assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
    store.close()


# ---- fuzz: any JSON, any token, any feedback: never a 5xx ----

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
ENVELOPE_KEYS = ("hook", "hookInstance", "context", "prefetch", "fhirServer", "fhirAuthorization")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces, CI does not flake
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(
    replaced=st.dictionaries(st.sampled_from(ENVELOPE_KEYS), JSON, max_size=3),
    resource_changes=st.dictionaries(st.sampled_from(("patient", "encounter", "troponin", "vitals")), JSON, max_size=2),
)
def test_fuzz_hook_bodies_never_give_a_5xx(hooks, keys, replaced, resource_changes):
    body = hook_request(load_fixture("visit_1004.json"))
    body.update(replaced)
    if isinstance(body.get("prefetch"), dict):
        body["prefetch"] = {**body["prefetch"], **resource_changes}
    assert _post(hooks, keys, body).status_code < 500


@FUZZ
@given(items=st.lists(st.dictionaries(st.sampled_from(("card", "outcome", "overrideReason")), JSON), max_size=3))
def test_fuzz_feedback_never_gives_a_5xx(hooks, keys, items):
    assert _post(hooks, keys, {"feedback": items}, path=FEEDBACK).status_code < 500


@FUZZ
@given(
    header=st.dictionaries(st.sampled_from(("alg", "kid", "jku", "typ")), JSON, max_size=4),
    claims=st.dictionaries(st.sampled_from(("iss", "aud", "exp", "iat", "jti", "nbf")), JSON, max_size=6),
)
def test_fuzz_token_headers_and_claims_give_401_never_5xx(hooks, keys, header, claims):
    import base64

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{b64(header)}.{b64(claims)}.c2lnbmF0dXJl"
    client, _ = hooks
    response = client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_token_cannot_be_replayed_against_another_worker_or_after_a_restart(tmp_path):
    # Before, the jti memory was per process: a token replayed after a restart (or to a second worker) passed.
    import time

    from chestpain.ehr import ReplayStore

    path = tmp_path / "replay.sqlite"
    first, second = ReplayStore(path), ReplayStore(path)  # two workers on one file
    expires = time.time() + 300
    assert first.first_use("iss", "token-1", expires)
    assert not second.first_use("iss", "token-1", expires)
    first.close()
    restarted = ReplayStore(path)  # the service restarted: the file remembers
    assert not restarted.first_use("iss", "token-1", expires)
    assert restarted.first_use("other-iss", "token-1", expires)  # per issuer
    assert restarted.first_use("iss", "old", time.time() - 1)  # an expired entry is no memory ...
    assert restarted.first_use("iss", "old", time.time() + 300)  # ... so its id may be seen again (exp refuses it)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    second.close()
    restarted.close()
