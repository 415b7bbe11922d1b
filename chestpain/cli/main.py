"""The ``chestpain`` command line: one verb per job, each a thin wrapper around a library function.

Command modules live in ``chestpain/cli/commands/``; this file only wires them together.
"""

from __future__ import annotations

import os

import typer

from chestpain.cli.commands import app as app_command
from chestpain.cli.commands import audit as audit_command
from chestpain.cli.commands import data as data_command
from chestpain.cli.commands import demo as demo_command
from chestpain.cli.commands import experiment as experiment_command
from chestpain.cli.commands import monitor as monitor_command
from chestpain.cli.commands import predict as predict_command
from chestpain.cli.commands import promote as promote_command
from chestpain.cli.commands import score as score_command
from chestpain.cli.commands import serve_hooks as serve_hooks_command
from chestpain.cli.commands import simulate as simulate_command
from chestpain.cli.commands import train as train_command

app = typer.Typer(
    name="chestpain",
    help="Chest-pain triage research toolkit: simulate biased ED encounters, train and audit discharge models. "
    "A research and audit tool, not a medical device.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Public cardiac data sets, harmonised to the cohort-table names.", no_args_is_help=True)
experiment_app = typer.Typer(
    help="Reproducible studies built on the simulator, models and audit.", no_args_is_help=True
)

app.command("simulate")(simulate_command.simulate)
app.command("score")(score_command.score)
app.command("train")(train_command.train)
app.command("promote")(promote_command.promote)
app.command("predict")(predict_command.predict)
app.command("audit")(audit_command.audit)
app.command("app")(app_command.app)
app.command("demo")(demo_command.demo)
app.command("serve-hooks")(serve_hooks_command.serve_hooks)
app.command("monitor")(monitor_command.monitor)
data_app.command("uci")(data_command.uci)
experiment_app.command("run")(experiment_command.run)
app.add_typer(data_app, name="data")
app.add_typer(experiment_app, name="experiment")


#: Settings for third-party libraries, applied by the console script before any of them is imported (each can be
#: overridden in the environment). MLflow's tqdm bars for artifact downloads (registry models, audit reports) would
#: interleave with the project's own rich progress bars and tables; downloads still fail loudly when they fail.
#: MLflow's INFO lines ("Experiment ... does not exist. Creating a new experiment", database migrations) say what
#: the project reports itself; its warnings and errors still show.
QUIET_DEFAULTS = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "MLFLOW_LOGGING_LEVEL": "WARNING"}


def main() -> None:
    """Console-script entry point."""
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)
    app()
