"""The service as uvicorn's workers start it: each worker process builds the app from the environment.

uvicorn runs several workers only from an import string, so the model reference and the config path travel in
two environment variables set by ``chestpain serve-hooks --workers N``. Every worker loads its own copy of the
model; they share the replay memory (``replay_db``, SQLite in WAL mode) and the feedback file.
"""

from __future__ import annotations

import os
from typing import Any

MODEL_ENV = "CHESTPAIN_HOOKS_MODEL"
CONFIG_ENV = "CHESTPAIN_HOOKS_CONFIG"


def app_from_environment() -> Any:
    """Uvicorn's app factory (``--factory``): the model and config named by the environment."""
    from chestpain.ehr import create_app, load_hooks_config
    from chestpain.models import load_model  # the command line may import the model layer; the service does not

    return create_app(load_model(os.environ[MODEL_ENV]), load_hooks_config(os.environ.get(CONFIG_ENV) or None))
