"""Training reports its stages (issue 27, item 4): every fold, the final model, then thresholds and evaluation."""

from __future__ import annotations

from chestpain.models import load_train_config, prepare, train


def test_every_stage_is_announced_in_order_with_its_round_budget(small_cohort, repo_root, tmp_path):
    cfg = load_train_config(
        repo_root / "configs/train/xgboost.yaml",
        ["model.params.n_estimators=20", "model.params.n_jobs=1", "threshold.folds=2", "threshold.confidence=0"],
    )
    stages: list[tuple[str, int]] = []
    rounds = [0]
    train(
        prepare(small_cohort.head(12_000), cfg),
        cfg,
        tmp_path / "model",
        on_round=lambda: rounds.__setitem__(0, rounds[0] + 1),
        on_stage=lambda what, total: stages.append((what, total)),
    )
    names = [what for what, _ in stages]
    assert names[:3] == [
        "MI question: fold 1 of 2",
        "MI question: fold 2 of 2",
        "MI question: final model on every non-test row",
    ]
    assert names[3:6] == [
        "30-day MACE question: fold 1 of 2",
        "30-day MACE question: fold 2 of 2",
        "30-day MACE question: final model on every non-test row",
    ]
    assert names[-1] == "thresholds, evaluation and the model directory"
    assert all(total == 20 for what, total in stages if "fold" in what)  # a fold may stop earlier (early stopping)
    assert 0 < rounds[0] <= sum(total for _, total in stages)
    # The CLI's time-left estimate counts on exactly this many fitting stages (chestpain/cli/stage_clock.py).
    from chestpain.cli.stage_clock import fit_stages

    assert sum(total > 0 for _, total in stages) == fit_stages(folds=2, questions=2)
