"""A simulated stream through the live CDS Hooks feedback endpoint, then ``read_feedback`` and the monitor.

The cards are registered in the service's store as its hook handler registers them (one transaction per batch,
by group, no identifiers); their feedback goes over real HTTP with a signed token per request, in the CDS Hooks
2.0 body the EHR sends. The monitor must see exactly what it sees when handed the simulated table directly.
"""

from __future__ import annotations

import httpx
import pandas as pd

from chestpain.ehr import FeedbackStore, HooksConfig, create_app, read_feedback
from chestpain.experiments.monitoring_study import feedback_bodies, simulate_stream, write_store
from chestpain.fairness import monitor_feedback
from chestpain.kernel.seeding import named_stream
from tests.ehr.conftest import STATIC_ISSUER, free_socket, make_token, run_uvicorn

PATH = "/cds-services/chest-pain-discharge/feedback"


def test_a_stream_through_the_feedback_endpoint_monitors_like_the_simulated_table(keys, static_jwks, tmp_path):
    cards, follow = simulate_stream(named_stream(3, "test_monitor_feedback_endpoint"), weeks=8, visits_per_week=60)
    write_store(cards, tmp_path / "feedback.sqlite", feedback=False)
    store = FeedbackStore(tmp_path / "feedback.sqlite", retention_days=100 * 365)
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = HooksConfig(
        base_url=base,
        issuers=[{"iss": STATIC_ISSUER, "jwks_file": str(static_jwks)}],
        replay_db=tmp_path / "replay.sqlite",
    )
    server, thread = run_uvicorn(create_app(None, config, store=store), sock)
    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            for body in feedback_bodies(cards):  # one request per day of feedback, in order
                token = make_token(keys.ec256, aud=base + PATH, alg="ES256", kid="ec-256", iss=STATIC_ISSUER)
                response = client.post(base + PATH, json=body, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        store.close()
    stored = read_feedback(tmp_path / "feedback.sqlite")
    assert len(stored) == len(cards) and stored["outcome"].notna().all()
    assert set(stored.loc[stored["outcome"].eq("overridden"), "reason"]) == {"clinical-judgement"}
    # The endpoint stamps the day it received the feedback (today), never earlier than the card's day.
    via_http = monitor_feedback(stored, follow)
    direct = monitor_feedback(cards, follow)
    assert via_http.periods == direct.periods
    pd.testing.assert_frame_equal(via_http.table, direct.table)
    pd.testing.assert_frame_equal(via_http.comparisons, direct.comparisons)
    assert via_http.alarms == direct.alarms


def test_the_monitor_reads_the_live_services_own_store(service, keys, tmp_path):
    """Real cards (the model's, uuid4, groups from FHIR) and feedback over HTTP; then ``chestpain monitor`` on them."""
    from typer.testing import CliRunner

    from chestpain.cli.main import app
    from tests.ehr.conftest import hook_request, load_fixture

    hook_path = "/cds-services/chest-pain-discharge"
    with httpx.Client(timeout=60, trust_env=False) as client:

        def post(path, body):
            token = make_token(keys.rsa, aud=service.base_url + path)
            return client.post(service.base_url + path, json=body, headers={"Authorization": f"Bearer {token}"})

        cards = [
            post(hook_path, hook_request(load_fixture(f"visit_{pid}.json"))).json()["cards"][0] for pid in (1004, 1018)
        ]
        body = {"feedback": [{"card": card["uuid"], "outcome": "overridden"} for card in cards]}
        assert post(hook_path + "/feedback", body).status_code == 200
    follow = tmp_path / "followup.csv"
    pd.DataFrame({"card": [cards[0]["uuid"]], "mi": [False], "mace_30d": [False]}).to_csv(follow, index=False)
    out = tmp_path / "monitor"
    result = CliRunner().invoke(
        app, ["monitor", "--feedback", str(service.store.path), "--outcomes", str(follow), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "no alarm" in result.output  # a handful of cards: nothing can be compared or tested, and it is said
    page = (out / "report.html").read_text()
    assert "Withheld at the last look" in page or "Nothing compared yet" in page
