"""The training progress estimate (chestpain/cli/stage_clock.py) on a fake clock."""

from __future__ import annotations

from chestpain.cli.stage_clock import StageClock, fit_stages


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_estimate_before_a_fit_has_finished_then_mean_fit_time_times_fits_left():
    clock = FakeClock()
    stages = StageClock(fit_stages(folds=3, questions=2), clock)
    assert stages.total_fits == 8
    assert stages.label("MI question: fold 1 of 3") == "[1/8] MI question: fold 1 of 3"
    clock.now = 60.0  # the first fit took a minute: 7 fits to go
    assert stages.label("MI question: fold 2 of 3") == "[2/8] MI question: fold 2 of 3 (about 7 min left)"
    clock.now = 180.0  # the second took two: 90 s a fit on average, 6 to go
    assert stages.label("MI question: fold 3 of 3") == "[3/8] MI question: fold 3 of 3 (about 9 min left)"
    for k in range(4, 9):
        clock.now += 90.0
        text = stages.label(f"stage {k}")
        assert text.startswith(f"[{k}/8] stage {k}")
    assert text.endswith("(about 2 min left)")  # 7 fits in 630 s, one to go: 90 s
    clock.now += 90.0
    assert stages.label("thresholds", is_fit=False) == "[last] thresholds"


def test_short_times_read_as_under_a_minute():
    clock = FakeClock()
    stages = StageClock(fit_stages(folds=0, questions=1) + 1, clock)
    stages.label("model")
    clock.now = 20.0
    assert stages.label("second") == "[2/2] second (under a minute left)"
