"""Calls answered together (issue 26, many clients): the batch gives every call exactly its lone answer."""

from __future__ import annotations

import asyncio
import copy
import threading

import pandas as pd
import pytest

from chestpain.ehr import assess, map_visit
from chestpain.ehr._batching import MicroBatcher
from chestpain.ehr._cards import assess_many
from chestpain.ehr._fhir_validation import validate_mappings
from chestpain.models import load_model
from tests.ehr.conftest import hook_request, load_fixture

VISITS = ["visit_1004.json", "visit_1007.json", "visit_1015.json"]


def _heart_rate_1200(bundle):
    """A record that maps but fails the batch schema (heart rate outside its range)."""
    bundle = copy.deepcopy(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation" and resource["code"]["coding"][0]["code"] == "8867-4":
            resource["valueQuantity"]["value"] = 1200
    return bundle


def _bodies():
    """Three patients, one of them twice (two calls for one patient may share a batch), a record the schema
    refuses, and one without vitals (insufficient before the schema)."""
    bundles = [load_fixture(name) for name in VISITS]
    return [
        hook_request(bundle)
        for bundle in [
            *bundles,
            bundles[2],
            _heart_rate_1200(bundles[0]),
            load_fixture("variant_missing_vitals.json"),
        ]
    ]


def _mapping(body, *, validate):
    context = body["context"]
    return map_visit(
        body["prefetch"].values(),
        patient_id=context["patientId"],
        encounter_id=context["encounterId"],
        validate=validate,
    )


def test_rows_checked_together_equal_rows_checked_alone():
    bodies = _bodies()
    alone = [_mapping(body, validate=True) for body in bodies]
    together = validate_mappings([_mapping(body, validate=False) for body in bodies])
    assert [m.sufficient for m in alone] == [True, True, True, True, False, False]
    assert "heart_rate" in alone[4].problems[0]  # the schema's own problem, named as a lone call names it
    for lone, batched in zip(alone, together, strict=True):
        assert batched == lone
        if lone.features is not None:
            pd.testing.assert_frame_equal(batched.features, lone.features)


def test_assessments_of_a_batch_equal_lone_assessments(app_model_dir):
    model = load_model(app_model_dir)
    mappings = [_mapping(body, validate=True) for body in _bodies()]
    lone = [assess(model, mapping) for mapping in mappings]
    batched = assess_many(model, validate_mappings([_mapping(body, validate=False) for body in _bodies()]))
    assert [a.risk is not None for a in lone] == [True, True, True, True, False, False]
    assert batched == lone  # every field: risk, flag, reasons, HEART, ESC, next step (floats exactly equal)


def _run(coroutine):
    return asyncio.run(coroutine)


def test_calls_that_queue_while_a_batch_runs_are_answered_together_in_order():
    release = threading.Event()
    seen: list[list[int]] = []

    def work(items):
        seen.append(list(items))
        if items == [0]:
            release.wait(10)  # hold the first batch until every other call has queued
        return [item * 10 for item in items]

    async def scenario():
        batcher = MicroBatcher(work, max_batch=4)
        first = asyncio.create_task(batcher.submit(0))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(batcher.submit(i)) for i in range(1, 7)]
        await asyncio.sleep(0.05)
        release.set()
        return await first, await asyncio.gather(*rest), batcher.batch_sizes

    first, rest, sizes = _run(scenario())
    assert first == 0 and rest == [10, 20, 30, 40, 50, 60]
    assert seen == [[0], [1, 2, 3, 4], [5, 6]]  # at most max_batch, in arrival order
    assert sizes == [1, 4, 2]


def test_a_lone_call_is_answered_at_once_as_a_batch_of_one():
    async def scenario():
        batcher = MicroBatcher(lambda items: [item + 1 for item in items])
        return [await batcher.submit(i) for i in range(3)], batcher.batch_sizes

    assert _run(scenario()) == ([1, 2, 3], [1, 1, 1])


def test_one_failing_call_fails_alone_and_the_rest_of_its_batch_is_answered():
    release = threading.Event()

    def work(items):
        if items == ["hold"]:
            release.wait(10)
        if "bad" in items:
            raise ValueError("this item cannot be answered")
        return [item.upper() for item in items]

    async def scenario():
        batcher = MicroBatcher(work)
        held = asyncio.create_task(batcher.submit("hold"))
        await asyncio.sleep(0.05)
        calls = [asyncio.create_task(batcher.submit(item)) for item in ("a", "bad", "b")]
        await asyncio.sleep(0.05)
        release.set()
        return await held, await asyncio.gather(*calls, return_exceptions=True)

    held, (a, bad, b) = _run(scenario())
    assert (held, a, b) == ("HOLD", "A", "B")
    assert isinstance(bad, ValueError)


def test_work_that_returns_the_wrong_number_of_results_is_an_error_not_a_hang():
    async def scenario():
        batcher = MicroBatcher(lambda items: [])
        return await asyncio.wait_for(batcher.submit(1), timeout=10)

    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        _run(scenario())


def test_max_batch_must_be_positive():
    with pytest.raises(ValueError, match="max_batch"):
        MicroBatcher(lambda items: items, max_batch=0)
