"""The PlaNet reproduction entry: specs on the protocol IDs, the oracle row through the one
runner and store, skipping finished runs, failures reported."""

import sqlite3
from pathlib import Path

import pytest

from wmagents.reproduce import planet

TINY_ORACLE = {"horizon": 1, "iterations": 1, "candidates": 2, "top_k": 1}


def test_planet_specs_use_the_protocol_ids():
    specs = planet.planet_specs("smoke", seeds=2)
    assert list(specs) == list(planet.TASKS)
    for task, group in specs.items():
        assert [s.seed for s in group] == [0, 1]
        assert group[0].env_id == f"wmenvs/PlaNet-{task}-v0"
        assert group[0].budget == planet.BUDGETS["smoke"]["episodes"] * 1000
        assert "action_repeat" not in group[0].overrides    # the ID carries it
    assert planet.planet_specs("smoke", 2)["cheetah-run"][1].run_id == specs["cheetah-run"][1].run_id
    oracle = planet.oracle_specs("paper")
    assert [s.seed for s in oracle["walker-walk"]] == list(range(10))
    assert {s.budget for group in oracle.values() for s in group} == {0}
    assert planet.oracle_specs("paper", threads=4)["walker-walk"][0].overrides == {"threads": 4}


def argv(tmp_path, *extra):
    return ["--budget", "smoke", "--rows", "oracle", "--workers", "2", "--db",
            str(tmp_path / "db.sqlite"), "--out", str(tmp_path / "out"), *extra]


@pytest.mark.slow
def test_oracle_row_prints_the_paper_beside_ours_and_finished_runs_are_skipped(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(planet.BUDGETS["smoke"], "oracle", TINY_ORACLE)
    assert planet.main(argv(tmp_path)) == 0
    report = capsys.readouterr().out
    oracle_line = next(line for line in report.splitlines() if line.startswith("| CEM + true"))
    cells = [c.strip() for c in oracle_line.strip("|").split("|")][1:]
    assert cells[0::2] == ["850", "964", "656", "825", "993", "994"]
    assert all("(n=1)" in c for c in cells[1::2])
    assert "seconds per action" in report
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        rows = db.execute("SELECT label, agent, status FROM runs").fetchall()
    assert rows == [("planet-smoke", planet.ORACLE, "finished")] * 6
    assert (tmp_path / "runs").is_dir()          # work dir beside the store by default
    assert planet.main(argv(tmp_path)) == 0      # every run finished: nothing runs again
    again = capsys.readouterr()
    assert again.out.splitlines()[:12] == report.splitlines()[:12]
    assert "runs:" not in again.err              # no progress bar: no run was submitted


@pytest.mark.slow
def test_tasks_select_columns_and_unknown_tasks_are_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(planet.BUDGETS["smoke"], "oracle", TINY_ORACLE)
    assert planet.main(argv(tmp_path, "--tasks", "reacher-easy,walker-walk",
                            "--oracle-threads", "2")) == 0
    header = next(line for line in capsys.readouterr().out.splitlines()
                  if line.startswith("| method"))
    assert "reacher-easy (paper)" in header and "walker-walk (ours)" in header
    assert "cartpole" not in header
    with pytest.raises(SystemExit):
        planet.main(["--tasks", "cartpole-balance"])
    assert "unknown task(s) ['cartpole-balance']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        planet.main(["--tasks", "reacher-easy,reacher-easy"])
    with pytest.raises(SystemExit):
        planet.main(["--rows", "dreamer"])


@pytest.mark.slow
def test_a_failing_oracle_run_is_reported_and_the_others_are_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(planet, "ORACLE",
                        str(Path(__file__).parent / "adapters" / "crashing_planner.py"))
    assert planet.main(argv(tmp_path, "--tasks", "cartpole-swingup,reacher-easy")) == 1
    out = capsys.readouterr().out
    assert "FAILED run" in out and "planner died" in out
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        status = dict(db.execute("SELECT env_id, status FROM runs").fetchall())
    assert status == {"wmenvs/PlaNet-cartpole-swingup-v0": "finished",
                      "wmenvs/PlaNet-reacher-easy-v0": "running"}
