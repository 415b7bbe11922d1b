"""The two estimators on the shared feature pipeline, exposing one thing: a raw log-odds score.

Both estimators produce log-odds (XGBoost ``output_margin``, logistic ``decision_function``), which the
calibration step turns into probabilities and the explanation step splits into additive contributions.

Monotone constraints (``ModelSpec.monotone``, on by default): along every feature of
:func:`features._pipeline.monotone_features` (troponin values, the 1 h change, ECG severity, typical symptoms)
the score may never fall. XGBoost enforces it with ``monotone_constraints``; logistic regression with a
sign-constrained fit (:func:`fit_sign_constrained_logistic`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from chestpain.features import monotone_features
from chestpain.kernel.errors import TriageError
from chestpain.models._config import ModelSpec
from chestpain.models._tree_shap import LeafTable, baseline_shapley, tree_leaves

#: Logistic parameters the sign-constrained fit understands (the rest of LogisticRegression's are solver knobs).
CONSTRAINED_LOGISTIC_PARAMS = ("C", "max_iter", "tol")


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
    _leaves: LeafTable | None = field(default=None, repr=False)

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.preprocessor.transform(features), dtype=np.float64)

    def raw_score(self, features: pd.DataFrame, transformed: np.ndarray | None = None) -> np.ndarray:
        """Log-odds of the positive class, float64."""
        x = self.transform(features) if transformed is None else transformed
        if self.kind == "xgboost":
            return self.xgb_model.get_booster().inplace_predict(x, predict_type="margin").astype(np.float64)
        return self.linear.decision_function(x).astype(np.float64)

    def contributions(
        self, transformed: np.ndarray, reference: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-output-feature log-odds contributions and the bias term (they sum to ``raw_score``).

        With a ``reference`` patient (a row of the transformed matrix, the training medians): exact Shapley
        values of the game "take these features from the patient, the rest from the reference" (baseline
        Shapley; interventional TreeSHAP with one background row), and the bias is the reference's score. For a
        model that is monotone in feature j, every term of feature j's value has the sign of ``x_j - r_j``: a
        troponin above the reference's can never read as lowering risk. Without a reference (models saved
        before it was recorded): XGBoost's path-dependent TreeSHAP, logistic terms relative to the mean.
        """
        if reference is not None:
            reference = np.asarray(reference, dtype=np.float64)
            if self.kind == "xgboost":
                booster = self.xgb_model.get_booster()
                if self._leaves is None:
                    self._leaves = LeafTable.of(tree_leaves(booster))
                values = baseline_shapley(self._leaves, transformed, reference)
                bias = booster.inplace_predict(reference[None, :], predict_type="margin").astype(np.float64)
                return values, np.full(len(transformed), float(bias[0]))
            scaler, logistic = self.linear.named_steps["scale"], self.linear.named_steps["logistic"]
            coef = logistic.coef_[0] / scaler.scale_
            values = (transformed - reference) * coef
            bias = float(self.linear.decision_function(reference[None, :])[0])
            return values, np.full(len(transformed), bias)
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


def monotone_vector(feature_names: Sequence[str]) -> list[int]:
    """XGBoost's ``monotone_constraints``: +1 for every feature along which risk may never fall, else 0."""
    increasing = set(monotone_features(feature_names))
    return [1 if name in increasing else 0 for name in feature_names]


def fit_sign_constrained_logistic(
    x: np.ndarray, y: np.ndarray, *, nonnegative: np.ndarray, C: float = 1.0, max_iter: int = 2000, tol: float = 1e-6
) -> tuple[np.ndarray, float, int]:
    """L2-penalised logistic regression with coefficients >= 0 where ``nonnegative``, by L-BFGS-B.

    Same objective as scikit-learn's ``LogisticRegression(C=C)`` (log-loss + ||w||^2 / (2C), intercept not
    penalised), minimised under bounds; the problem is convex, so this is the constrained optimum. Chosen over
    clip-and-refit, which zeroes a negative coefficient but leaves the others fitted to a model that had it, and
    over dropping the features, which throws away what they add when the sign is right. scikit-learn has no
    bounds for logistic regression; ``tests/models/test_monotone.py`` checks that with no active bound this
    reproduces ``LogisticRegression``.

    Returns
    -------
    coef, intercept, n_iter
    """
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    n, d = x.shape
    penalty = 1.0 / (C * n)  # the mean log-loss form of C * sum(log-loss) + ||w||^2 / 2

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = x @ w + b
        loss = np.mean(np.logaddexp(0.0, z) - target * z) + 0.5 * penalty * (w @ w)
        residual = (expit(z) - target) / n
        return float(loss), np.concatenate([x.T @ residual + penalty * w, [residual.sum()]])

    bounds = [(0.0, None) if flag else (None, None) for flag in np.asarray(nonnegative, bool)] + [(None, None)]
    prior = float(np.clip(target.mean(), 1e-6, 1 - 1e-6))
    start = np.concatenate([np.zeros(d), [np.log(prior / (1 - prior))]])
    result = minimize(
        objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": max_iter, "gtol": tol, "ftol": tol * 1e-4},
    )  # fmt: skip
    if not np.isfinite(result.fun):
        raise TriageError(f"sign-constrained logistic regression did not converge: {result.message}")
    return result.x[:d], float(result.x[d]), int(result.nit)


def _fit_logistic(spec: ModelSpec, x: np.ndarray, y: np.ndarray, feature_names: Sequence[str], seed: int) -> Pipeline:
    params = {"max_iter": 2000, **spec.params}
    if not spec.monotone:
        try:
            linear = Pipeline(
                [("scale", StandardScaler()), ("logistic", LogisticRegression(**params, random_state=seed))]
            )
        except TypeError as error:
            raise TriageError(f"model.params: {error}") from None
        return linear.fit(x, y)
    unknown = sorted(set(params) - set(CONSTRAINED_LOGISTIC_PARAMS))
    if unknown:
        raise TriageError(
            f"model.params: {', '.join(unknown)} not supported with monotone: true "
            f"(the sign-constrained fit takes {', '.join(CONSTRAINED_LOGISTIC_PARAMS)})"
        )
    scaler = StandardScaler().fit(x)
    nonnegative = np.asarray(monotone_vector(feature_names)) > 0
    coef, intercept, n_iter = fit_sign_constrained_logistic(
        scaler.transform(x), y, nonnegative=nonnegative, C=float(params.get("C", 1.0)),
        max_iter=int(params["max_iter"]), tol=float(params.get("tol", 1e-6)),
    )  # fmt: skip
    # Stored as a plain fitted LogisticRegression (its decision_function is w.x + b), so saving, loading and
    # explaining need nothing new.
    logistic = LogisticRegression(C=float(params.get("C", 1.0)), max_iter=int(params["max_iter"]))
    logistic.coef_ = coef[None, :]
    logistic.intercept_ = np.array([intercept])
    logistic.classes_ = np.array([False, True])
    logistic.n_features_in_ = x.shape[1]
    logistic.n_iter_ = np.array([n_iter], dtype=np.int64)
    return Pipeline([("scale", scaler), ("logistic", logistic)])


def xgb_params(spec: ModelSpec, feature_names: Sequence[str]) -> dict[str, object]:
    params = {"n_estimators": 500, **spec.params}
    if spec.monotone:
        if "monotone_constraints" in params:
            raise TriageError(
                "model.params.monotone_constraints: set by monotone: true; remove it or set monotone: false"
            )
        params["monotone_constraints"] = "(" + ",".join(map(str, monotone_vector(feature_names))) + ")"
    return params


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
        names = list(preprocessor.get_feature_names_out())
        linear = _fit_logistic(spec, x, np.concatenate([y_train, y_early]), names, seed)
        return FittedEstimator("logistic", preprocessor, linear=linear)
    x = np.asarray(preprocessor.fit_transform(train), dtype=np.float64)
    x_early = np.asarray(preprocessor.transform(early), dtype=np.float64)
    callbacks = [_ProgressCallback(on_round)] if on_round is not None else None
    params = xgb_params(spec, list(preprocessor.get_feature_names_out()))
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


def fit_final_estimator(
    spec: ModelSpec,
    preprocessor: ColumnTransformer,
    rows: pd.DataFrame,
    y: np.ndarray,
    *,
    n_rounds: int,
    seed: int,
    on_round: Callable[[], None] | None = None,
) -> FittedEstimator:
    """Fit on every given row with a fixed number of boosting rounds (cross-fitting's final model, no hold-out)."""
    x = np.asarray(preprocessor.fit_transform(rows), dtype=np.float64)
    names = list(preprocessor.get_feature_names_out())
    if spec.kind == "logistic":
        return FittedEstimator("logistic", preprocessor, linear=_fit_logistic(spec, x, y, names, seed))
    callbacks = [_ProgressCallback(on_round)] if on_round is not None else None
    params = {**xgb_params(spec, names), "n_estimators": int(n_rounds)}
    try:
        model = xgb.XGBClassifier(**params, eval_metric="logloss", random_state=seed, callbacks=callbacks)
    except TypeError as error:
        raise TriageError(f"model.params: {error}") from None
    model.fit(x, y, verbose=False)
    model.set_params(callbacks=None)
    return FittedEstimator("xgboost", preprocessor, xgb_model=model)
