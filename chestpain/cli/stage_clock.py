"""An estimate of a training run's time left, from the stages already done (issue 27: "stages ... and an estimate").

A cross-fitted training run is a known list of model fits (K folds and one final model per question) followed by
one short stage (thresholds, evaluation, writing). Fits of one run take about the same time (same rows, same
settings; early stopping varies the rounds by about a third), so after the first fit the mean time per finished
fit times the fits still to come is a fair estimate, and it sharpens as fits finish. No estimate is shown before
the first fit ends: a guess from nothing would only mislead. Plain arithmetic on a clock, so it is tested with a
fake clock (tests/test_stage_clock.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable


def fit_stages(folds: int, questions: int) -> int:
    """Model fits in a run: each question fits ``folds`` fold models (0 without cross-fitting) and one final."""
    return questions * (folds + 1)


class StageClock:
    """Labels each stage ``[k/N]`` and, once a fit has finished, adds ``about M min left``."""

    def __init__(self, total_fits: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total_fits = total_fits
        self._clock = clock
        self._started: float | None = None
        self._fits_started = 0

    def label(self, description: str, *, is_fit: bool = True) -> str:
        """The text for the stage that starts now (``is_fit=False`` for the closing, non-fitting stage)."""
        now = self._clock()
        if self._started is None:
            self._started = now
        done = self._fits_started  # every fit started before this stage has finished
        if is_fit:
            self._fits_started += 1
        position = f"[{min(self._fits_started, self.total_fits)}/{self.total_fits}]" if is_fit else "[last]"
        if not is_fit or done == 0:
            return f"{position} {description}"
        left = (now - self._started) / done * max(self.total_fits - done, 0)
        return f"{position} {description} ({_time_left(left)})"


def _time_left(seconds: float) -> str:
    if seconds < 45:
        return "under a minute left"
    return f"about {max(round(seconds / 60), 1):.0f} min left"
