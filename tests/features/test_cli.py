"""`chestpain data uci` and `chestpain score` through Typer's CliRunner: exit codes, messages, outputs."""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from chestpain.cli.commands import data as data_command
from chestpain.cli.commands import score as score_command
from chestpain.features import HEART_COMPONENTS, clinical_scores, validate_visits
from tests.features.helpers import as_text, visit_frame


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The two commands wired as in chestpain/cli/main.py, without importing the other verbs."""
    app = typer.Typer(pretty_exceptions_enable=False)
    data_app = typer.Typer()
    data_app.command("uci")(data_command.uci)
    app.add_typer(data_app, name="data")
    app.command("score")(score_command.score)
    return app


@pytest.fixture
def run(app):
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(arg) for arg in args])


def test_triage_cli_registers_both_commands():
    cli = pytest.importorskip(
        "chestpain.cli.main", reason="chestpain.cli.main imports every verb; another verb is mid-change"
    )
    assert "score" in [command.name for command in cli.app.registered_commands]
    assert "uci" in [command.name for command in cli.data_app.registered_commands]


def test_data_uci_writes_parquet(run, uci_dir, tmp_path):
    out = tmp_path / "uci.parquet"
    result = run("data", "uci", "--out", out, "--source", uci_dir)
    assert result.exit_code == 0, result.output
    assert "wrote 920 rows (cleveland 303, hungarian 294, switzerland 123, va 200)" in result.output
    assert "not MI" in result.output
    table = pd.read_parquet(out)
    assert len(table) == 920 and "cad" in table.columns


def test_data_uci_bad_source_is_one_line_error(run, tmp_path):
    out = tmp_path / "uci.parquet"
    result = run("data", "uci", "--out", out, "--source", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.output.startswith("Error: UCI source ") and result.output.count("\n") == 1
    assert not out.exists()


def test_data_uci_md5_failure_leaves_no_output(run, uci_dir, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in uci_dir.glob("processed.*.data"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "processed.switzerland.data").write_bytes(b"32,1,1,95,0,?,0,127,0,.7,1,?,?,1\n")
    out = tmp_path / "uci.parquet"
    result = run("data", "uci", "--out", out, "--source", folder)
    assert result.exit_code == 1 and "processed.switzerland.data: md5" in result.output
    assert list(tmp_path.iterdir()) == [folder]


def test_score_writes_every_row_in_input_order(run, tmp_path):
    visits = visit_frame(40, seed=8, symptom_source="doc").sample(frac=1.0, random_state=3)
    data = tmp_path / "visits.csv"
    as_text(visits).to_csv(data, index=False)
    out = tmp_path / "scores.csv"
    result = run("score", "--data", data, "--out", out, "--troponin-policy", "sex-specific")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"scored 40 visits to {out}")
    written = pd.read_csv(out)
    expected = clinical_scores(validate_visits(visits, symptom_source="doc"), troponin_policy="sex-specific")
    assert list(written.columns) == [
        "patient_id", *HEART_COMPONENTS, "heart_score", "esc_0_1h", "single_sample_rule_out",
        "esc_0_2h", "esc_0_3h",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True), check_dtype=False)


def test_score_policy_changes_troponin_points(run, tmp_path):
    visits = visit_frame(2, symptom_source="doc").assign(sex=["female", "male"], troponin_0h_ng_l=[20.0, 20.0])
    data = tmp_path / "visits.parquet"
    visits.to_parquet(data)
    points = {}
    for policy in ("universal", "sex-specific"):
        out = tmp_path / f"{policy}.parquet"
        assert run("score", "--data", data, "--out", out, "--troponin-policy", policy).exit_code == 0
        points[policy] = pd.read_parquet(out)["heart_troponin"].tolist()
    assert points == {"universal": [0, 0], "sex-specific": [1, 0]}


def test_score_esc_edition_2015_on_request(run, tmp_path):
    # 0 h 55 ng/L without change: ESC 2015 rules in (>= 52), ESC 2020 (the default) observes (< 64).
    visits = visit_frame(1, symptom_source="doc").assign(troponin_0h_ng_l=[55.0], troponin_1h_ng_l=[55.0])
    data = tmp_path / "visits.parquet"
    visits.to_parquet(data)
    categories = {}
    for edition in (None, "2015"):
        out = tmp_path / f"{edition}.parquet"
        extra = [] if edition is None else ["--esc-edition", edition]
        result = run("score", "--data", data, "--out", out, *extra)
        assert result.exit_code == 0, result.output
        assert f"ESC {edition or '2020'} 0/1 h" in result.output
        categories[edition] = pd.read_parquet(out)["esc_0_1h"].tolist()
    assert categories == {None: ["observe"], "2015": ["rule-in"]}


def test_score_bad_batch_is_one_line_error_and_no_partial_output(run, tmp_path):
    visits = as_text(visit_frame(5, symptom_source="doc"))
    visits.loc[3, "sex"] = "F"
    visits.loc[4, "troponin_0h_ng_l"] = "0.02"
    data = tmp_path / "visits.csv"
    visits.to_csv(data, index=False)
    out = tmp_path / "scores.csv"
    out.write_text("previous run\n")
    result = run("score", "--data", data, "--out", out)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "row 4, column sex: 'F' is not a known category; use female or male" in result.output
    assert "row 5, column troponin_0h_ng_l: 0.02 looks like ng/mL" in result.output
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv", "visits.csv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--data", "missing.csv", "--out", "s.csv"), "missing.csv: file not found"),
        (("--data", "v.csv", "--out", "s.xlsx"), "s.xlsx: unsupported output type '.xlsx'; use .csv or .parquet"),
    ],
)
def test_score_file_errors(run, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    visit_frame(2, symptom_source="doc").to_csv("v.csv", index=False)
    result = run("score", *args)
    assert result.exit_code == 1 and message in result.output


def test_score_needs_charted_symptoms(run, tmp_path):
    data = tmp_path / "sx_only.csv"
    visit_frame(3, symptom_source="sx").to_csv(data, index=False)
    result = run("score", "--data", data, "--out", tmp_path / "s.csv")
    assert result.exit_code == 1 and "column doc_chest_pain is missing" in result.output


def test_unknown_policy_is_a_usage_error(run, tmp_path):
    result = run("score", "--data", tmp_path / "v.csv", "--out", tmp_path / "s.csv", "--troponin-policy", "strict")
    assert result.exit_code == 2 and "strict" in result.output
