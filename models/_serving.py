"""What the MLflow-logged model accepts and returns, and how a bad row reaches an HTTP client.

The signature is built from the batch schema the model validates with (``features._schemas``), never inferred
from a training table: the visit columns ``chestpain predict`` accepts, typed as the schema defines them (id and
whole numbers ``long``, measurements ``double``, yes/no ``boolean``, categories ``string``), optional columns
optional, no outcome columns. Outputs: ``patient_id``, ``risk``, ``risk_mace_30d``, ``flag``, ``flag_reason``,
``next_step``, ``reasons``, ``reasons_mace_30d`` (``chestpain predict``'s columns).
"""

from __future__ import annotations

from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.models.signature import ModelSignature
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.types.schema import ColSpec, Schema

from chestpain.features import TableSpec, uci_spec, visit_spec

MLFLOW_TYPES = {"id": "long", "int": "long", "float": "double", "bool": "boolean", "category": "string"}
OUTPUTS = Schema(
    [
        ColSpec("long", "patient_id"),
        ColSpec("double", "risk"),
        ColSpec("double", "risk_mace_30d", required=False),
        ColSpec("boolean", "flag"),
        ColSpec("string", "flag_reason"),
        ColSpec("string", "next_step", required=False),
        ColSpec("string", "reasons"),
        ColSpec("string", "reasons_mace_30d", required=False),
    ]
)


def input_spec(feature_config: dict[str, Any]) -> TableSpec:
    """The table a model with this feature config validates its input against (what ``TriageModel.validate`` uses)."""
    if feature_config.get("dataset") == "uci":
        return uci_spec()
    return visit_spec(feature_config.get("symptom_source", "sx"))


def model_signature(feature_config: dict[str, Any]) -> ModelSignature:
    """The explicit MLflow signature: the batch schema's columns in, the predict columns out."""
    spec = input_spec(feature_config)
    inputs = Schema(
        [
            ColSpec(MLFLOW_TYPES[rule.kind], name, required=name not in spec.optional)
            for name, rule in spec.rules.items()
        ]
    )
    return ModelSignature(inputs=inputs, outputs=OUTPUTS)


class InputError(MlflowException):
    """A bad batch, answered with HTTP 400 and the schema's one-line message.

    MLflow's scoring server rewrites the message of an ``MlflowException`` raised by ``predict`` to
    ``"Failed to predict data '<the whole input frame>'. Error: ..."`` (``mlflow.pyfunc.scoring_server``, 3.x):
    that would echo every patient row back and bury the one line. The message is therefore fixed when the error
    is made; ``tests/models/test_serve.py`` checks what a client receives.
    """

    def __init__(self, message: str) -> None:
        self._fixed = message
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)

    @property  # type: ignore[override]
    def message(self) -> str:
        return self._fixed

    @message.setter
    def message(self, value: str) -> None:
        """Ignored: see the class docstring."""
