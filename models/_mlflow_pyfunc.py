"""MLflow "model from code": the pyfunc wrapper is this file, not a pickle.

MLflow runs this file to build the model object; ``load_context`` loads the model directory stored as an
artifact through :class:`models.TriageModel`, which checks hashes and never unpickles.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext


class TriagePyfunc(PythonModel):
    """Scores a batch of ED visits: ``patient_id, risk, flag, reasons``."""

    def load_context(self, context: PythonModelContext) -> None:
        from models._predictor import TriageModel

        self.model = TriageModel.load(context.artifacts["model_dir"])

    # No type hints on purpose: MLflow would turn them into a schema it can only call "Any"; the model's own
    # validation (the features schema) checks ``model_input`` more strictly.
    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        """``patient_id, risk, flag, reasons`` for a batch of ED visits."""
        return self.model.predict(pd.DataFrame(model_input))


mlflow.models.set_model(TriagePyfunc())
