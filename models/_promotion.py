"""Whether a newly trained model may become ``champion``: its own promises first, then the champion's level.

A retrain used to move ``@champion`` whatever it measured (issue 27: a model trained on the biased
``diagnosed_mi`` label, 98.29% sensitive against a 99% target, replaced the champion). Now training registers
every version, and only one that passes both gates takes the champion alias; any other is ``challenger``, with
the reasons printed, logged on the run and recorded on the version. ``chestpain promote`` is the human decision.

Gate 1, its own promises, read from the manifest (its held-out test split, never used for fitting, calibration
or thresholds):

- every guaranteed group had enough positives for its threshold rule (``threshold_groups[*].guaranteed``);
- MI sensitivity of the shipped flag in each sex and guaranteed group: the test split must not show, with 95%
  confidence, that it is below the target (the Wilson interval's upper end reaches it). A point-estimate rule
  would fail about half of good models in small groups; this one fails a model whose shortfall is real;
- the 30-day MACE question's sensitivity in each sex, the same way, against its own target;
- calibration-in-the-large of the MI risk: the observed / expected ratio's interval overlaps the audit's parity
  band (0.8-1.25): risks that are wholly too high or too low overall fail.

Gate 2, the champion's level, on one **shared validation cohort** that neither model trained on: simulated with
the default scenario from a reserved seed (:data:`VALIDATION_SEED`; README says not to train on it), labelled by
true MI. The challenger's rule-out at the target sensitivity (the ranking, whatever the threshold) must not fall
more than ``ranking_margin`` below the champion's, and its shipped flag's sensitivity in each sex must pass the
same test as in gate 1. Models of other datasets (UCI) have no shared cohort: with a champion already there,
they stay challengers until a human promotes one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from chestpain.kernel.stats import wilson

#: Seed of the shared validation cohort; never a training seed (README "Promotion").
VALIDATION_SEED = 909_090_909
VALIDATION_ROWS = 40_000
#: The audit's parity band (fairness): a calibration ratio wholly outside it is a real miscalibration.
CALIBRATION_BAND = (0.8, 1.25)
#: How much lower the challenger's rule-out at the target sensitivity may be than the champion's (absolute).
RANKING_MARGIN = 0.02
CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class Decision:
    """The alias a version gets, why, and the figures behind it (logged on the run and the version)."""

    alias: str
    reasons: tuple[str, ...] = ()  # why it is not champion (empty when it is)
    passed: tuple[str, ...] = ()  # what was checked and held
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def promoted(self) -> bool:
        return self.alias == CHAMPION

    def summary(self) -> str:
        if self.promoted:
            return f"{CHAMPION}: " + "; ".join(self.passed)
        return f"{CHALLENGER}, not {CHAMPION}: " + "; ".join(self.reasons)


def _below_target(estimate: dict[str, float] | None, target: float) -> bool:
    """True when the interval shows the sensitivity is below target (its upper end is short of it)."""
    return estimate is not None and estimate.get("ci_high") is not None and estimate["ci_high"] < target


def own_promises(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Gate 1: (failures, passes) from the model's manifest alone."""
    failures, passes = [], []
    metrics = manifest.get("metrics", {})
    target = float(manifest.get("threshold_target_sensitivity", 0.99))
    unguaranteed = [str(rule["group"]) for rule in manifest.get("threshold_groups", []) if not rule["guaranteed"]]
    if unguaranteed:
        failures.append(f"too few MI cases to guarantee the threshold of {', '.join(unguaranteed)}")
    rows = metrics.get("guarantees") or [
        {"group": sex, "sensitivity": metrics.get("test", {}).get(sex, {}).get("sensitivity")}
        for sex in ("female", "male")
    ]
    short = [row for row in rows if _below_target(row["sensitivity"], target)]
    failures += [
        f"MI sensitivity {row['group']} {_percent(row['sensitivity'])} on the test split, below the {target:.0%} "
        "target with 95% confidence"
        for row in short
    ]
    if not short:
        passes.append(f"MI sensitivity >= {target:.0%} not contradicted in {len(rows)} groups")
    mace = manifest.get("mace")
    if mace and "test_mace_30d" in metrics:
        mace_target = float(mace.get("target_sensitivity", 0.98))
        for sex in ("female", "male"):
            estimate = metrics["test_mace_30d"][sex]["sensitivity"]
            if _below_target(estimate, mace_target):
                failures.append(
                    f"30-day MACE sensitivity {sex} {_percent(estimate)} on the test split, below the "
                    f"{mace_target:.0%} target with 95% confidence"
                )
    calibration = metrics.get("test", {}).get("overall", {}).get("observed_to_expected")
    if calibration is not None:
        low, high = CALIBRATION_BAND
        ratio = f"{calibration['value']:.2f} ({calibration['ci_low']:.2f}-{calibration['ci_high']:.2f})"
        if calibration["ci_high"] < low or calibration["ci_low"] > high:
            failures.append(f"MI risk miscalibrated: observed / expected {ratio}, wholly outside {low}-{high}")
        else:
            passes.append(f"observed / expected MI {ratio}")
    return failures, passes


def _percent(estimate: dict[str, float]) -> str:
    return f"{estimate['value']:.2%} ({estimate['ci_low']:.2%}-{estimate['ci_high']:.2%})"


def validation_cohort(n: int = VALIDATION_ROWS, seed: int = VALIDATION_SEED) -> Any:
    """The shared validation cohort (default scenario, reserved seed): the same rows for every comparison."""
    from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), n, seed)


def _on_validation(model: Any, cohort: Any, target: float) -> dict[str, float]:
    from chestpain.models._evaluation import rule_out_at_sensitivity

    prediction = model.predict(cohort, source="validation cohort", with_reasons=False)
    y = cohort["mi"].to_numpy(bool)
    flag = prediction["flag"].to_numpy(bool)
    sex = cohort["sex"].astype("string").to_numpy()
    figures = {"rule_out_at_target": rule_out_at_sensitivity(prediction["risk"].to_numpy(), y, target)}
    figures["flag_rule_out"] = float(np.mean(~flag))
    for group in ("female", "male"):
        rows = (sex == group) & y
        estimate = wilson(int((flag & rows).sum()), int(rows.sum()))
        figures[f"sensitivity.{group}"] = estimate.value
        figures[f"sensitivity.{group}.ci_high"] = estimate.ci_high
    return figures


def against_champion(
    challenger: Any, champion: Any | None, *, margin: float = RANKING_MARGIN, cohort: Any = None
) -> tuple[list[str], list[str], dict[str, float]]:
    """Gate 2: (failures, passes, figures) on the shared validation cohort; no champion: nothing to beat."""
    if champion is None:
        return [], ["no champion yet"], {}
    if challenger.dataset != "cohort" or champion.dataset != "cohort":
        return (
            [f"no shared validation cohort for a {challenger.dataset} model against a {champion.dataset} champion"],
            [],
            {},
        )
    from chestpain.kernel.errors import TriageError

    target = float(challenger.manifest.get("threshold_target_sensitivity", 0.99))
    cohort = validation_cohort() if cohort is None else cohort
    try:
        new, old = _on_validation(challenger, cohort, target), _on_validation(champion, cohort, target)
    except TriageError as error:  # e.g. a champion trained before the 1 h sample became optional
        reason = str(error).split(" | ")[0][:300]
        return [f"could not compare with the champion on the shared validation cohort ({reason})"], [], {}
    figures = {f"validation.challenger.{k}": v for k, v in new.items()}
    figures.update({f"validation.champion.{k}": v for k, v in old.items()})
    failures, passes = [], []
    if new["rule_out_at_target"] < old["rule_out_at_target"] - margin:
        failures.append(
            f"rule-out at {target:.0%} sensitivity {new['rule_out_at_target']:.1%} on the shared validation cohort, "
            f"more than {margin:.0%} below the champion's {old['rule_out_at_target']:.1%}"
        )
    else:
        passes.append(
            f"rule-out at {target:.0%} sensitivity {new['rule_out_at_target']:.1%} vs champion "
            f"{old['rule_out_at_target']:.1%} (margin {margin:.0%})"
        )
    for group in ("female", "male"):
        if new[f"sensitivity.{group}.ci_high"] < target:
            failures.append(
                f"flag sensitivity {group} {new[f'sensitivity.{group}']:.2%} on the shared validation cohort, "
                f"below {target:.0%} with 95% confidence"
            )
    return failures, passes, figures


def decide(challenger: Any, champion: Any | None, *, margin: float = RANKING_MARGIN, cohort: Any = None) -> Decision:
    """Both gates: ``champion`` when every check holds, else ``challenger`` with every reason."""
    failures, passes = own_promises(challenger.manifest)
    more_failures, more_passes, figures = against_champion(challenger, champion, margin=margin, cohort=cohort)
    failures, passes = failures + more_failures, passes + more_passes
    return Decision(CHALLENGER if failures else CHAMPION, tuple(failures), tuple(passes), figures)


# --- the registry side: who is champion now, and a human's decision -------------------------------------------


def decision_tags(decision: Decision) -> dict[str, str]:
    """What the run and the version record of the decision (MLflow tag values are capped at 5,000 characters)."""
    return {
        "promotion.decision": decision.alias,
        "promotion.reasons": "; ".join(decision.reasons)[:4900],
        "promotion.checks": "; ".join(decision.passed)[:4900],
    }


def decide_against_registry(
    model: Any, registered_model: str, *, margin: float = RANKING_MARGIN, validation_rows: int = VALIDATION_ROWS
) -> Decision:
    """:func:`decide` against the version ``@champion`` points at now (none yet: only gate 1 applies)."""
    from chestpain.kernel.errors import TriageError
    from chestpain.models._predictor import TriageModel
    from chestpain.models._tracking import alias_version, resolve_model_dir

    current = alias_version(registered_model, CHAMPION)
    champion = None
    if current is not None:
        try:
            champion = TriageModel.load(resolve_model_dir(f"models:/{registered_model}/{current.version}"))
        except TriageError as error:  # the run is still logged; a human decides
            failures, passes = own_promises(model.manifest)
            reason = f"the champion (version {current.version}) could not be loaded: {str(error)[:300]}"
            return Decision(CHALLENGER, (*failures, reason), tuple(passes))
    cohort = validation_cohort(validation_rows) if champion is not None and model.dataset == "cohort" else None
    decision = decide(model, champion, margin=margin, cohort=cohort)
    if current is not None:
        decision = replace(
            decision, figures={**decision.figures, "validation.champion_version": float(current.version)}
        )
    return decision


def promote(reference: str, *, force: bool = False, reason: str | None = None, user: str | None = None) -> Decision:
    """Move ``@champion`` to ``models:/NAME/VERSION`` (or ``NAME@ALIAS``) after the gates, or by a human's ``force``.

    Without ``force`` the version must pass both gates against the current champion. With ``force`` a reason
    is required; either way the decision, the reason, who and when are recorded as tags on the version.
    """
    import datetime as dt
    import getpass

    from chestpain.kernel.errors import TriageError
    from chestpain.models._predictor import TriageModel
    from chestpain.models._tracking import MODEL_URI_PREFIX, _mlflow, registry_version, resolve_model_dir

    if force and not (reason or "").strip():
        raise TriageError("--force needs --reason: a forced promotion is recorded with why")
    uri = reference if reference.startswith(MODEL_URI_PREFIX) else MODEL_URI_PREFIX + reference
    if "@" not in uri.removeprefix(MODEL_URI_PREFIX) and "/" not in uri.removeprefix(MODEL_URI_PREFIX):
        raise TriageError(f"{reference}: expected NAME@VERSION, NAME/VERSION or NAME@ALIAS")
    uri = _version_uri(uri)
    version = registry_version(uri)
    name = version.name
    model = TriageModel.load(resolve_model_dir(uri))
    decision = decide_against_registry(model, name)
    client = _mlflow().MlflowClient()
    record = {
        "promotion.by": user or getpass.getuser(),
        "promotion.at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "promotion.forced": str(bool(force)).lower(),
        **({"promotion.reason": reason.strip()[:4900]} if reason else {}),
    }
    if not decision.promoted and not force:
        for key, value in {**decision_tags(decision), **record}.items():
            client.set_model_version_tag(name, version.version, key, value)
        raise TriageError(
            f"{name} version {version.version} stays {CHALLENGER}: "
            + "; ".join(decision.reasons)
            + " (a human may overrule with --force --reason TEXT)"
        )
    client.set_registered_model_alias(name, CHAMPION, version.version)
    for key, value in {**decision_tags(decision), **record, "promotion.decision": CHAMPION}.items():
        client.set_model_version_tag(name, version.version, key, value)
    return decision


def _version_uri(uri: str) -> str:
    """``models:/NAME@3`` (the command's NAME@VERSION) -> ``models:/NAME/3``; aliases and NAME/3 stay as they are."""
    body = uri.removeprefix("models:/")
    name, sep, tail = body.rpartition("@")
    return f"models:/{name}/{tail}" if sep and tail.isdigit() else uri
