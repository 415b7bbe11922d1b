"""Issue 26: an input that changes while ``predict`` reads it is an error, never a short output.

Before, a file truncated during the scoring pass exited 0 with 160,199 of 400,000 rows scored. Here the file is
cut in half (and, separately, appended to) right after the scoring pass reads its first chunk.
"""

from __future__ import annotations

import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models import _batch


@pytest.mark.parametrize("change", ["truncate", "append"])
def test_an_input_changed_during_the_run_is_an_error_and_the_old_output_stays(
    logistic_result, small_cohort, tmp_path, monkeypatch, change
):
    data, out = tmp_path / "batch.csv", tmp_path / "scored.csv"
    small_cohort.head(3_000).to_csv(data, index=False)
    out.write_text("old output", encoding="utf-8")
    original = _batch.iter_valid_chunks

    def moving(*args, **kwargs):
        for i, chunk in enumerate(original(*args, **kwargs)):
            if i == 0:
                text = data.read_text(encoding="utf-8")
                data.write_text(text[: len(text) // 2] if change == "truncate" else text + text[-200:], "utf-8")
            yield chunk

    monkeypatch.setattr(_batch, "iter_valid_chunks", moving)
    with pytest.raises(TriageError, match="changed while it was being read"):
        _batch.predict_path(logistic_result.model, data, out, chunk_rows=1_000)
    assert out.read_text(encoding="utf-8") == "old output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv", "scored.csv"]


def test_an_unchanged_input_is_scored_whole(logistic_result, small_cohort, tmp_path):
    data, out = tmp_path / "batch.csv", tmp_path / "scored.csv"
    small_cohort.head(2_500).to_csv(data, index=False)
    summary = _batch.predict_path(logistic_result.model, data, out, chunk_rows=1_000)
    assert summary.n == 2_500
