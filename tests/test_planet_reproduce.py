"""The PlaNet reproduction entry: specs, the oracle row through the CLI, caching."""

import json

import pytest

from wmagents.reproduce import planet


def test_planet_specs_use_pixel_ids_and_planets_action_repeat():
    specs = planet.planet_specs("smoke", seeds=2)
    assert list(specs) == list(planet.TASKS)
    repeats = [group[0].overrides["action_repeat"] for group in specs.values()]
    assert repeats == [8, 4, 4, 2, 4, 2]
    for task, group in specs.items():
        assert [s.seed for s in group] == [0, 1]
        assert group[0].env_id == f"wmenvs/DMC-{task}-Pixels-v0"
        assert group[0].budget == planet.BUDGETS["smoke"]["episodes"] * 1000
    assert planet.planet_specs("smoke", 2)["cheetah-run"][1].run_id == specs["cheetah-run"][1].run_id


def test_oracle_row_runs_prints_the_paper_beside_ours_and_is_cached(tmp_path, monkeypatch, capsys):
    tiny = {"horizon": 1, "iterations": 1, "candidates": 2, "top_k": 1}
    monkeypatch.setitem(planet.BUDGETS["smoke"], "oracle", tiny)
    argv = ["--budget", "smoke", "--rows", "oracle", "--workers", "2", "--db",
            str(tmp_path / "db.sqlite"), "--work-dir", str(tmp_path / "work"), "--out",
            str(tmp_path / "out")]
    assert planet.main(argv) == 0
    report = capsys.readouterr().out
    oracle_line = next(line for line in report.splitlines() if line.startswith("| CEM + true"))
    cells = [c.strip() for c in oracle_line.strip("|").split("|")][1:]
    assert cells[0::2] == ["850", "964", "656", "825", "993", "994"]
    assert all("(n=1)" in c for c in cells[1::2])
    assert "seconds per action" in report
    assert len(list((tmp_path / "work" / "oracle").glob("*.json"))) == 6

    def no_new_work(function, arguments, args):
        assert arguments == [], "cached oracle episodes were recomputed"
        return []

    monkeypatch.setattr(planet, "_map", no_new_work)
    assert planet.main(argv) == 0
    assert capsys.readouterr().out.splitlines()[:12] == report.splitlines()[:12]


def test_bad_rows_are_refused():
    with pytest.raises(SystemExit):
        planet.main(["--rows", "dreamer"])


def test_tasks_select_columns_and_unknown_tasks_are_named(tmp_path, monkeypatch, capsys):
    tiny = {"horizon": 1, "iterations": 1, "candidates": 2, "top_k": 1}
    monkeypatch.setitem(planet.BUDGETS["smoke"], "oracle", tiny)
    argv = ["--budget", "smoke", "--rows", "oracle", "--tasks", "reacher-easy,walker-walk",
            "--oracle-threads", "2", "--db", str(tmp_path / "db.sqlite"), "--work-dir",
            str(tmp_path / "work"), "--out", str(tmp_path / "out")]
    assert planet.main(argv) == 0
    report = capsys.readouterr().out
    header = next(line for line in report.splitlines() if line.startswith("| method"))
    assert "reacher-easy (paper)" in header and "walker-walk (ours)" in header
    assert "cartpole" not in header
    assert len(list((tmp_path / "work" / "oracle").glob("*.json"))) == 2
    with pytest.raises(SystemExit):
        planet.main(["--tasks", "cartpole-balance"])
    assert "unknown task(s) ['cartpole-balance']" in capsys.readouterr().err


def crash_on_reacher(task, overrides, episode, threads=1):
    """Stands in for ``planet.oracle_episode`` in the spawned workers (imported by name)."""
    if task == "reacher-easy":
        raise RuntimeError("worker died")
    return {"task": task, "episode": episode, "return": 1.0}


def test_each_finished_oracle_episode_is_cached_before_a_later_one_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(planet, "oracle_episode", crash_on_reacher)
    argv = ["--budget", "smoke", "--rows", "oracle", "--tasks", "cartpole-swingup,reacher-easy",
            "--workers", "1", "--db", str(tmp_path / "db.sqlite"), "--work-dir",
            str(tmp_path / "work"), "--out", str(tmp_path / "out")]
    with pytest.raises(RuntimeError, match="worker died"):
        planet.main(argv)
    cached = [json.loads(p.read_text()) for p in (tmp_path / "work" / "oracle").glob("*.json")]
    assert [c["task"] for c in cached] == ["cartpole-swingup"]
    with pytest.raises(SystemExit):
        planet.main(["--tasks", "reacher-easy,reacher-easy"])
