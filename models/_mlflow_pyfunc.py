"""MLflow "model from code": the pyfunc wrapper is this file, not a pickle.

MLflow runs this file to build the model object; ``load_context`` loads the model directory stored as an
artifact through :class:`models.TriageModel`, which checks hashes and never unpickles. The project's packages
(``models``, ``features``, ``chestpain``) are logged with the model (``code_paths``), so it loads where only its pip
requirements are installed.
"""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext


class TriagePyfunc(PythonModel):
    """Scores a batch of ED visits: ``patient_id, risk, flag, reasons``."""

    def load_context(self, context: PythonModelContext) -> None:
        from chestpain.models._predictor import TriageModel

        self.model = TriageModel.load(context.artifacts["model_dir"])

    # ``model_input: pd.DataFrame`` is a hint MLflow accepts without inferring a schema from it (pandas types are in
    # its "no signature inference" list), so the logged signature (models/_serving.py) and the model's own
    # validation still check ``model_input``; without any hint MLflow warns on every ``log_model``.
    def predict(
        self, context: PythonModelContext, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """``patient_id, risk, flag, reasons`` for a batch of ED visits; a bad batch is an HTTP 400."""
        from chestpain.kernel.errors import TriageError
        from chestpain.models._serving import InputError

        try:
            return self.model.predict(pd.DataFrame(model_input))
        except TriageError as error:
            raise InputError(str(error)) from None


mlflow.models.set_model(TriagePyfunc())
