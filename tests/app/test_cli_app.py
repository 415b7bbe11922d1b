"""``chestpain app`` prints where it serves, then hands over to ``streamlit run`` on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

import chestpain.app
from chestpain.cli.commands import app as app_command
from chestpain.cli.main import app

runner = CliRunner()


def test_triage_app_prints_the_url_and_execs_streamlit(monkeypatch):
    calls = []
    monkeypatch.setattr(app_command.os, "execvp", lambda file, args: calls.append((file, args)))
    result = runner.invoke(app, ["app", "--port", "8611"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8611" in result.output
    file, args = calls[0]
    assert file == sys.executable
    assert args[1:4] == ["-m", "streamlit", "run"]
    assert args[4] == str(app_command.APP_SCRIPT) and app_command.APP_SCRIPT.name == "entry.py"
    assert app_command.APP_SCRIPT.parent == Path(chestpain.app.__file__).parent  # the packaged app, from anywhere
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert args[args.index("--server.headless") + 1] == "true"
    assert args[args.index("--server.port") + 1] == "8611"
    # Start-up time (issue 18): no usage-statistics request, and no watcher of the checkout's modules (.venv too).
    assert args[args.index("--browser.gatherUsageStats") + 1] == "false"
    assert args[args.index("--server.fileWatcherType") + 1] == "none"


def test_missing_entry_script_is_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr(app_command, "APP_SCRIPT", tmp_path / "entry.py")
    monkeypatch.setattr(app_command.os, "execvp", lambda *args: None)
    result = runner.invoke(app, ["app"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Error:" in result.output and "entry script is missing" in result.output


def test_port_must_be_a_port():
    assert runner.invoke(app, ["app", "--port", "70000"]).exit_code == 2
