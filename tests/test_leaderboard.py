"""Leaderboard: suites as data, statistics, and the evaluate / show commands end to end."""

import html
import json

import gymnasium as gym
import numpy as np
import pytest

import wmenvs  # noqa: F401
from leaderboard import evaluate, show
from leaderboard.suites import available, load_suite
from wmagents.harness.runner import run_sweep
from wmagents.harness.store import Store
from wmagents.harness.stats import (aggregate, bootstrap_ci, iqm, probability_of_improvement,
                                    score_matrix)


def test_iqm_and_intervals():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 100]) == pytest.approx(np.mean([3, 4, 5, 6]))
    assert iqm([5.0]) == 5.0
    point, low, high = bootstrap_ci([1.0, 2.0, 3.0, 10.0])
    assert point == 4.0 and 1.0 <= low < point < high <= 10.0
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert bootstrap_ci([1.0, 2.0, 3.0, 10.0]) == (point, low, high)     # seeded resamples
    # stratified over tasks: "b" (always 0.5) is in every resample, "a" resamples its two
    # runs to {0,0}, {0,1} or {1,1}: the mean is 0.25, 0.5 or 0.75, at 1/4, 1/2, 1/4
    stats = aggregate({"a": [0.0, 1.0], "b": [0.5, 0.5]})
    assert stats["mean"] == (0.5, 0.25, 0.75) and stats["n"] == 2
    assert stats["optimality_gap"][0] == pytest.approx(0.5)
    np.testing.assert_array_equal(score_matrix({"a": [1, 2, 3], "b": [4, 5]}), [[1, 4], [2, 5]])


def test_probability_of_improvement_of_a_dominating_agent():
    better = {"t1": [5.0, 6.0, 7.0], "t2": [2.0, 3.0, 4.0]}
    worse = {"t1": [1.0, 2.0, 3.0], "t2": [0.0, 0.5, 1.0]}
    assert probability_of_improvement(better, worse)[0] == 1.0
    assert probability_of_improvement(worse, better)[0] == 0.0
    assert probability_of_improvement(better, better)[0] == pytest.approx(0.5)


def test_shipped_suites_are_valid():
    assert "smoke" in available()
    smoke = load_suite("smoke")
    assert smoke.label == "smoke@v1" and smoke.seeds >= 1
    for task in smoke.tasks:
        assert task.budget > 0 and task.eval_episodes > 0
        if task.score_range:
            low, high = task.score_range
            assert task.normalise(low) == 0 and task.normalise(high) == 1
            assert task.score_range_source
    specs = smoke.specs("baselines/random", seeds=2)
    assert len(specs) == 2 * len(smoke.tasks) and len({s.run_id for s in specs}) == len(specs)
    with pytest.raises(ValueError, match="unknown suite 'nope'; available"):
        load_suite("nope")


@pytest.mark.slow
def test_evaluate_then_show(tmp_path, capsys):
    suite = tmp_path / "tiny.json"
    suite.write_text(json.dumps({
        "name": "tiny", "version": 1, "description": "test", "seeds": 2,
        "tasks": [{"env_id": "wmenvs/GridWorld-v0", "budget": 300, "eval_every": 150,
                   "eval_episodes": 1, "score_range": [-250, 210]}]}))
    db = tmp_path / "r.sqlite"
    argv = ["--agent", "baselines/random", "--suite", str(suite), "--db", str(db), "--workers", "2"]
    evaluate.main(argv)
    first = capsys.readouterr().out
    assert "2 runs trained (0 resumed from a checkpoint), 0 already finished" in first
    row = next(line for line in first.splitlines() if line.startswith("| wmenvs/GridWorld-v0"))
    with Store(db) as store:
        finals = [r["final_return"] for r in store.runs(label="tiny@v1")]
    assert len(finals) == 2 and max(finals) < 0      # random never stays at the goal
    mean = np.mean(finals)
    assert row.startswith(f"| wmenvs/GridWorld-v0 | 2 | {mean:.1f} [{min(finals):.1f}, "
                          f"{max(finals):.1f}] | {(mean + 250) / 460:.3f} [")
    assert "IQM of normalised score: " in first

    evaluate.main(argv + ["--seeds", "3"])        # two finished, one new
    out = capsys.readouterr().out
    assert "1 runs trained (0 resumed from a checkpoint), 2 already finished" in out

    show.main(["--db", str(db)])                  # the suite file is not a shipped suite
    assert "suite 'tiny' is not shipped" in capsys.readouterr().out
    show.main(["--db", str(db), "--suite", str(suite), "--agent", "baselines/random"])
    shown = capsys.readouterr().out
    assert "| wmenvs/GridWorld-v0 | 3 |" in shown and "IQM of normalised score" in shown
    page = (tmp_path / "leaderboard.html").read_text()
    assert f"Page with plots (what this command printed): {tmp_path / 'leaderboard.html'}" in shown
    assert "<h2>tiny@v1</h2>" in page and "<td>wmenvs/GridWorld-v0</td><td>3</td>" in page
    assert page.count('src="data:image/png;base64,') == 3      # aggregate, profiles, curves
    iqm = next(line for line in shown.splitlines() if line.startswith("IQM"))
    assert html.escape(iqm) in page
    with pytest.raises(SystemExit, match="no results store"):
        show.main(["--db", str(tmp_path / "missing.sqlite")])


def test_show_lists_reproduction_runs_one_row_per_config(tmp_path, capsys):
    """Paper reproductions write to the same store; show lists them without pooling configs."""
    from wmagents.harness.spec import RunSpec

    specs = [RunSpec("wmagents.agents.random_agent", "wmenvs/GridWorld-v0", seed, 10, 10, 1,
                     overrides) for seed in (0, 1) for overrides in ({}, {"x": 1})]
    with Store(tmp_path / "r.sqlite") as store:
        store.submit(specs, label="planet-smoke")
        for i, spec in enumerate(specs):
            point = {"step": 10, "mean_return": float(i), "std_return": 0.0, "returns": [i],
                     "mean_length": 10.0, "success_rate": None}
            store.record({"run_id": spec.run_id, "eval_points": [point], "wall_time_s": 1.0,
                          "agent_config": {}, "env_spec": "{}",
                          "provenance": {"device": "cpu", "package_version": "0", "git_sha": None},
                          "train_episodes": [{"episode": 1, "step": 10, "return": -3.0,
                                              "length": 10, "terminated": False,
                                              "truncated": True}]})
        assert store.train_returns(specs[0].run_id) == [-3.0]
    show.main(["--db", str(tmp_path / "r.sqlite")])
    out = capsys.readouterr().out
    assert "### planet-smoke (paper reproduction runs" in out
    rows = [line for line in out.splitlines() if line.startswith("| wmagents.agents.random_agent")]
    assert len(rows) == 2 and all("(n=2)" in row for row in rows)
    assert sorted(row.split("`")[1] for row in rows) == ['{"x": 1}', "{}"]


@pytest.mark.parametrize("argv, message", [
    (["--agent", "baselines/nope"], "neither an importable module"),
    (["--agent", "os"], "defines no make_agent"),
    (["--agent", "baselines/sac", "--set", "foo=1"], "unknown DiscreteSACConfig fields ['foo']"),
    (["--agent", "baselines/sac", "--set", "hidden=abc"], "DiscreteSACConfig.hidden: expected a list"),
    (["--agent", "baselines/sac", "--workers", "0"], "--workers must be >= 1"),
])
def test_bad_agents_and_overrides_fail_in_one_line_before_any_run(argv, message, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    with pytest.raises(SystemExit) as stop:
        evaluate.main([*argv, "--suite", "smoke", "--db", str(db)])
    text = str(stop.value.code) + capsys.readouterr().err
    assert message in text and "Traceback" not in text
    if db.exists():
        with Store(db) as store:
            assert store.runs(status=None) == []      # nothing was submitted


def test_suite_tables_keep_configs_apart_and_shared_runs_appear_under_every_suite(tmp_path, capsys):
    """Two --set values are two tables; a second suite (version) with the same task reuses
    the finished runs and lists them under its own label too."""
    def suite_file(name, version):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({
            "name": name, "version": version, "description": "test", "seeds": 1,
            "tasks": [{"env_id": "wmenvs/GridWorld-v0", "budget": 300, "eval_every": 300,
                       "eval_episodes": 1, "score_range": [-250, 210]}]}))
        return str(path)

    db = tmp_path / "r.sqlite"
    first, second = suite_file("tiny", 1), suite_file("other", 1)
    evaluate.main(["--agent", "baselines/random", "--suite", first, "--db", str(db)])
    evaluate.main(["--agent", "baselines/sac", "--suite", first, "--db", str(db), "--set",
                   "hidden=[16,16]", "batch_size=8"])
    evaluate.main(["--agent", "baselines/sac", "--suite", first, "--db", str(db), "--set",
                   "hidden=[32,32]", "batch_size=8"])
    capsys.readouterr()
    evaluate.main(["--agent", "baselines/random", "--suite", second, "--db", str(db)])
    out = capsys.readouterr().out
    assert "0 runs trained (0 resumed from a checkpoint), 1 already finished" in out
    assert "| wmenvs/GridWorld-v0 | 1 |" in out                 # listed under "other@v1"
    show.main(["--db", str(db), "--suite", first])
    shown = capsys.readouterr().out
    titles = [line for line in shown.splitlines() if line.startswith("### tiny@v1")]
    assert titles == ['### tiny@v1 — baselines.random',
                      '### tiny@v1 — baselines.sac {"batch_size": 8, "hidden": [16, 16]}',
                      '### tiny@v1 — baselines.sac {"batch_size": 8, "hidden": [32, 32]}']


PAPER_SUITES = ("planet-dmc", "vsg-dmc", "vsg-shapeherd", "alm-locomotion", "dyne-arms",
                "parsimonious-grids")


@pytest.mark.parametrize("name", PAPER_SUITES)
def test_paper_suites_state_where_their_score_ranges_come_from(name):
    suite = load_suite(name)
    assert suite.label == f"{name}@v1" and suite.seeds >= 5 and suite.description
    for task in suite.tasks:
        gym.spec(task.env_id)                               # a registered ID
        assert 0 < task.eval_every <= task.budget and task.eval_episodes >= 1
        if task.reference is None:
            assert task.score_range is None
            continue
        low, high = task.score_range
        assert low < high and "random policy" in task.score_range_source
        assert task.reference_source and task.reference_source.split(" (")[0] in \
            task.score_range_source
        if isinstance(task.reference, (int, float)):
            assert high == task.reference


@pytest.mark.slow
@pytest.mark.parametrize("name", PAPER_SUITES)
def test_paper_suites_run_at_smoke_size(name, tmp_path):
    suite = load_suite(name).at_smoke_size()
    with Store(tmp_path / "r.sqlite") as store:
        report = run_sweep(suite.specs("baselines/random"), store, tmp_path / "runs",
                           workers=2, label=suite.label)
        assert not report.failed and len(report.finished) == len(suite.tasks)
        assert all(store.curve(run_id) for run_id in report.finished)
