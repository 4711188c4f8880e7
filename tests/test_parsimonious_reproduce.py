"""``python -m wmagents.reproduce parsimonious --budget smoke``: end to end through the runner."""

import sqlite3

import pytest

from wmagents.reproduce import parsimonious
from wmagents.reproduce.__main__ import main as dispatch


@pytest.mark.slow
def test_smoke_budget_prints_both_figures_and_skips_finished_runs(tmp_path, capsys):
    args = ["parsimonious", "--budget", "smoke", "--workers", "2", "--db", str(tmp_path / "db.sqlite"),
            "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "out")]
    assert dispatch(args) == 0
    first = capsys.readouterr().out
    for title in ("Figure 3: total training return", "Figure 4: mean planning return"):
        assert title in first
    for row in (*parsimonious.FIG3_METHODS, *parsimonious.FIG4_MODELS):
        assert f"| {row} |" in first
    assert "1st (best total)" in first and "top (red line)" in first   # the paper's ordering
    assert (tmp_path / "out" / "figure3_smoke.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "figure4_smoke.png").stat().st_size > 10_000
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        finished = db.execute("SELECT COUNT(*) FROM runs WHERE status = 'finished'").fetchone()[0]
    assert finished == 3 * (len(parsimonious.FIG3_METHODS) + len(parsimonious.FIG4_MODELS))
    # a second call finds every run finished and rebuilds the same tables from disk
    assert dispatch(args + ["--figure", "3"]) == 0
    again = capsys.readouterr().out
    table = lambda text: text.split("### Figure 3")[1].split("\n- budget")[0]  # noqa: E731
    assert table(again) == table(first)
    # --table-only runs nothing: on an empty store every cell is empty
    empty = [a if a != str(tmp_path / "db.sqlite") else str(tmp_path / "empty.sqlite") for a in args]
    assert dispatch(empty + ["--figure", "4", "--table-only"]) == 0
    assert "0 of 12 runs finished" in capsys.readouterr().out


def test_smoke_specs_follow_the_budget_table():
    fig3 = parsimonious.figure3_specs("paper", 10)
    steps = {spec.env_id: spec.budget for group in fig3.values() for spec in group}
    assert steps == {"wmenvs/GridWorld-v0": 200 * 250, "wmenvs/FourRooms-v0": 500 * 250,
                     "wmenvs/Torus-v0": 250 * 250}
    four_rooms = fig3["Parsimonious (ours)", "FourRooms"][0]
    assert four_rooms.overrides["batch_size"] == 350 and len(fig3["VAE", "Torus"]) == 10
    fig4 = parsimonious.figure4_specs("paper", 10)
    true = fig4["True dynamics", "Torus"][0]
    assert true.overrides == {"model": "true", "tasks": 30, "world": "Torus"}
    assert true.budget == 30 * 50


def test_paper_nets_keep_the_budget_but_take_the_papers_sizes_and_worlds_select_columns(
        tmp_path, capsys):
    small = parsimonious.figure4_specs("small", 1)
    sized = parsimonious.figure4_specs("small", 1, ("GridWorld",), paper_nets=True)
    assert {world for _, world in sized} == {"GridWorld"}
    spec, plain = sized["Parsimonious (ours)", "GridWorld"][0], small["Parsimonious (ours)", "GridWorld"][0]
    assert spec.overrides == {**plain.overrides, "model_hidden": [1200, 1200]}
    assert spec.run_id != plain.run_id and spec.budget == plain.budget
    fig3 = parsimonious.figure3_specs("small", 1, paper_nets=True)["VAE", "Torus"][0]
    assert fig3.overrides["hidden"] == [800, 800] and fig3.overrides["model_hidden"] == [1200, 1200]
    assert parsimonious.figure3_specs("small", 1)["VAE", "Torus"][0].overrides["hidden"] == [256, 256]
    args = ["parsimonious", "--budget", "smoke", "--db", str(tmp_path / "db.sqlite"),
            "--out", str(tmp_path / "out"), "--figure", "4", "--table-only"]
    assert dispatch(args + ["--paper-nets", "--worlds", "GridWorld"]) == 0
    out = capsys.readouterr().out
    assert "| GridWorld (paper) |" in out and "FourRooms" not in out.split("### Figure 4")[1].split("\n-")[0]
    assert "0 of 4 runs finished" in out and "paper's network sizes" in out
    assert (tmp_path / "out" / "tables_smoke-paper-nets.md").exists()
    with pytest.raises(SystemExit):
        dispatch(args + ["--worlds", "Grid"])
    assert "unknown --worlds ['Grid']" in capsys.readouterr().err
