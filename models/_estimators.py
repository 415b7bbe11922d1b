"""The two estimators on the shared feature pipeline, exposing one thing: a raw log-odds score.

Both estimators produce log-odds (XGBoost ``output_margin``, logistic ``decision_function``), which the
calibration step turns into probabilities and the explanation step splits into additive contributions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models._config import ModelSpec
from triage.errors import TriageError


class _ProgressCallback(xgb.callback.TrainingCallback):
    """Advance a progress bar once per boosting round."""

    def __init__(self, advance: Callable[[], None]) -> None:
        self._advance = advance

    def after_iteration(self, model: object, epoch: int, evals_log: dict) -> bool:
        self._advance()
        return False


@dataclass
class FittedEstimator:
    """A fitted preprocessor plus either an XGBoost classifier or a scaled logistic regression."""

    kind: str
    preprocessor: ColumnTransformer
    xgb_model: xgb.XGBClassifier | None = None
    linear: Pipeline | None = None

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.preprocessor.transform(features), dtype=np.float64)

    def raw_score(self, features: pd.DataFrame, transformed: np.ndarray | None = None) -> np.ndarray:
        """Log-odds of the positive class, float64."""
        x = self.transform(features) if transformed is None else transformed
        if self.kind == "xgboost":
            return self.xgb_model.get_booster().inplace_predict(x, predict_type="margin").astype(np.float64)
        return self.linear.decision_function(x).astype(np.float64)

    def contributions(self, transformed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-output-feature log-odds contributions and the bias term (they sum to ``raw_score``).

        XGBoost: exact TreeSHAP values (``pred_contribs``). Logistic: coefficient x standardised value, i.e.
        the contribution relative to the average training patient.
        """
        if self.kind == "xgboost":
            contribs = self.xgb_model.get_booster().predict(xgb.DMatrix(transformed), pred_contribs=True)
            return contribs[:, :-1].astype(np.float64), contribs[:, -1].astype(np.float64)
        scaler, logistic = self.linear.named_steps["scale"], self.linear.named_steps["logistic"]
        scaled = scaler.transform(transformed)
        contribs = scaled * logistic.coef_[0]
        return contribs, np.full(len(transformed), float(logistic.intercept_[0]))

    @property
    def feature_names(self) -> list[str]:
        return list(self.preprocessor.get_feature_names_out())


def fit_estimator(
    spec: ModelSpec,
    preprocessor: ColumnTransformer,
    train: pd.DataFrame,
    y_train: np.ndarray,
    early: pd.DataFrame,
    y_early: np.ndarray,
    *,
    seed: int,
    on_round: Callable[[], None] | None = None,
) -> FittedEstimator:
    """Fit the preprocessor on training rows and the estimator on the transformed matrix."""
    if spec.kind == "logistic":
        both = pd.concat([train, early])
        x = np.asarray(preprocessor.fit_transform(both), dtype=np.float64)
        params = {"max_iter": 2000, **spec.params, "random_state": seed}
        try:
            linear = Pipeline([("scale", StandardScaler()), ("logistic", LogisticRegression(**params))])
        except TypeError as error:
            raise TriageError(f"model.params: {error}") from None
        linear.fit(x, np.concatenate([y_train, y_early]))
        return FittedEstimator("logistic", preprocessor, linear=linear)
    x = np.asarray(preprocessor.fit_transform(train), dtype=np.float64)
    x_early = np.asarray(preprocessor.transform(early), dtype=np.float64)
    callbacks = [_ProgressCallback(on_round)] if on_round is not None else None
    params = {"n_estimators": 500, **spec.params}
    try:
        model = xgb.XGBClassifier(
            **params,
            early_stopping_rounds=spec.early_stopping_rounds,
            eval_metric="logloss",
            random_state=seed,
            callbacks=callbacks,
        )
    except TypeError as error:
        raise TriageError(f"model.params: {error}") from None
    model.fit(x, y_train, eval_set=[(x_early, y_early)], verbose=False)
    model.set_params(callbacks=None)
    return FittedEstimator("xgboost", preprocessor, xgb_model=model)
