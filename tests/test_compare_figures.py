"""scripts/compare_recorded_figures.py: the check that a refactoring changed no recorded figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_recorded_figures.py"


def executed(folder: Path, figures: dict[str, str]) -> None:
    """One executed notebook in ``folder`` whose outputs record ``figures`` as myst_nb.glue does."""
    outputs = [
        {
            "output_type": "display_data",
            "data": {"application/papermill.record/text/plain": text},
            "metadata": {"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}},
        }
        for name, text in figures.items()
    ]
    cell = {"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1, "outputs": outputs}
    folder.mkdir()
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "01_basics.ipynb").write_text(json.dumps(notebook))


def compare(tmp_path: Path, before: dict, after: dict, *options: str) -> subprocess.CompletedProcess:
    executed(tmp_path / "before", before)
    executed(tmp_path / "after", after)
    command = [sys.executable, str(SCRIPT), str(tmp_path / "before"), str(tmp_path / "after"), *options]
    return subprocess.run(command, capture_output=True, text=True)


def test_identical_figures_pass_and_timings_are_skipped(tmp_path):
    done = compare(tmp_path, {"01_ndcg": "0.25", "01_fit_seconds": "3.1"}, {"01_ndcg": "0.25", "01_fit_seconds": "2.9"})
    assert done.returncode == 0, done.stdout
    assert "1 figures compared, 0 differ" in done.stdout and "1 timing figures skipped" in done.stdout


def test_a_changed_figure_fails_even_in_the_last_bit(tmp_path):
    done = compare(tmp_path, {"01_ndcg": "0.1"}, {"01_ndcg": "0.10000000000000002"})
    assert done.returncode == 1 and "01_ndcg" in done.stdout


def test_last_bits_lists_rounding_apart_but_not_a_real_change(tmp_path):
    before = {"01_ndcg": "0.1", "01_gap": "0.0123", "01_verdict": "'ahead of'"}
    rounding = {"01_ndcg": "0.10000000000000002", "01_gap": "0.0123", "01_verdict": "'ahead of'"}
    done = compare(tmp_path, before, rounding, "--last-bits", "1e-12")
    assert done.returncode == 0, done.stdout
    assert "0 differ, 1 differ only in rounding" in done.stdout
    for case, changed in enumerate(({"01_gap": "0.0124"}, {"01_verdict": "'behind'"})):
        (tmp_path / str(case)).mkdir()
        done = compare(tmp_path / str(case), before, before | changed, "--last-bits", "1e-12")
        assert done.returncode == 1, done.stdout
