"""P(symptoms | acute coronary event or not, sex): the history, shared by the generator and the oracle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chestpain.features.columns import SYMPTOMS
from chestpain.simulation._params import Presentation

FEMALE, MALE = 0, 1


@dataclass(frozen=True)
class SymptomTable:
    """P(symptom present), indexed ``[event, sex, symptom]`` with sex 0 = female, 1 = male.

    An acute coronary event presents in one of two ways: a share ``silent`` presents like a patient without one
    (the whole history at once: the symptoms are correlated, not independent, within an event), the rest with
    the ``typical`` rates. ``prob[1]`` holds the configured marginal rates, ``(1 - silent) typical + silent
    prob[0]``, so every symptom's likelihood ratio is what the config states.
    """

    prob: np.ndarray  # shape (2, 2, len(SYMPTOMS)): marginal rates
    typical: np.ndarray  # shape (2, len(SYMPTOMS)) by sex: rates of an event that presents typically
    silent: float

    @property
    def _log_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """By sex: log LR of every symptom absent (summed), and the log LR a present symptom adds over absent."""
        p1, p0 = self.typical, self.prob[0]
        present, absent = np.log(p1 / p0), np.log((1 - p1) / (1 - p0))
        return absent.sum(axis=1), present - absent

    @classmethod
    def from_params(cls, presentation: Presentation) -> SymptomTable:
        prob = np.empty((2, 2, len(SYMPTOMS)))
        for k, name in enumerate(SYMPTOMS):
            rates = presentation.symptoms[name]
            prob[0, FEMALE, k], prob[0, MALE, k] = rates.no_mi_women, rates.no_mi_men
            prob[1, FEMALE, k], prob[1, MALE, k] = rates.mi_women, rates.mi_men
        silent = presentation.silent_presentation_share
        typical = (prob[1] - silent * prob[0]) / (1.0 - silent)
        return cls(prob, typical, silent)

    def sample(
        self,
        event: np.ndarray,
        male: np.ndarray,
        history_like_event: np.ndarray,
        uniform: np.ndarray,
        history_uniform: np.ndarray,
    ) -> np.ndarray:
        """True symptoms: typical if an event that is not silent, or a non-coronary state that looks like one.

        ``history_like_event`` is each row's state's share of event-like histories (ignored for events).
        """
        sex = male.astype(np.intp)
        typical = np.where(event, history_uniform >= self.silent, history_uniform < history_like_event)
        rates = np.where(typical[:, None], self.typical[sex], self.prob[0][sex])
        return uniform < rates

    def log_typical_ratio(self, symptoms: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Log P(observed | typical event history) / P(observed | history without an event), per row."""
        # Tables per sex, then one multiply-add per row (not a log per row and symptom).
        all_absent, step = self._log_tables
        sex = male.astype(np.intp)
        return all_absent[sex] + (symptoms * step[sex]).sum(axis=1)

    def log_likelihood_ratio(
        self, symptoms: np.ndarray, male: np.ndarray, log_typical: np.ndarray | None = None
    ) -> np.ndarray:
        """Log P(observed | event) / P(observed | no event) = log((1 - silent) LR_typical + silent).

        ``log_typical``: :meth:`log_typical_ratio` if the caller has it already.
        """
        if log_typical is None:
            log_typical = self.log_typical_ratio(symptoms, male)
        if self.silent == 0.0:
            return log_typical
        return np.logaddexp(np.log1p(-self.silent) + log_typical, np.log(self.silent))
