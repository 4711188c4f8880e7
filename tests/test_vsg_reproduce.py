"""``python -m wmagents.reproduce vsg``: run specs per table and budget, the score window,
and the smoke budget end to end (both tables, the paper beside ours)."""

import pytest

from wmagents.reproduce import vsg


def test_specs_follow_the_protocol_of_each_table():
    bbs = vsg.table_specs("shapeherd", "paper", seeds=5)
    assert len(bbs) == 3 * 16 and all(len(group) == 5 for group in bbs.values())
    spec = bbs["VSG(C)", "d2-s1.4"][0]
    assert spec.env_id == "wmenvs/ShapeHerdBBS-d2-s1.4-v0" and spec.agent == vsg.VSG
    assert (spec.budget, spec.eval_every, spec.eval_episodes) == (1_000_000, 50_000, 10)
    assert spec.overrides == {"preset": "vsg_bbs"}
    dmc = vsg.table_specs("dmc", "paper", seeds=5)
    v1 = dmc["DreamerV1", "walker-walk"][0]
    assert v1.agent == vsg.DREAMER and v1.overrides == {"preset": "dreamerv1"}
    assert (v1.env_id, v1.budget, v1.eval_every) == ("wmenvs/Dreamer-walker-walk-v0",
                                                      1_000_000, 10_000)
    assert vsg.score_points("dmc", "paper") == [500_000, 1_000_000]
    assert vsg.score_points("dmc", "small") == [50_000, 100_000]
    small = vsg.table_specs("dmc", "small", seeds=1)
    assert {column for _, column in small} == {"cartpole-swingup", "walker-walk"}
    assert small["SVSG", "walker-walk"][0].overrides["stoch"] == 200


def test_small_keeps_a_quarter_of_each_presets_updates_per_decision():
    dmc = vsg.table_specs("dmc", "small", seeds=2)
    assert all(len(group) == 2 for group in dmc.values())
    assert dmc["DreamerV2", "walker-walk"][0].overrides["train_every"] == 20      # 1 per 5
    v1 = dmc["DreamerV1", "walker-walk"][0].overrides     # 100 updates every 500 decisions
    assert v1["train_steps"] == 25 and "train_every" not in v1
    bbs = vsg.table_specs("shapeherd", "small", seeds=2)
    assert bbs["VSG(C)", "d0-s1.0"][0].overrides["train_every"] == 20
    assert "train_every" not in vsg.table_specs("dmc", "paper", 1)["VSG", "walker-walk"][0].overrides


def test_method_filter_keeps_the_named_rows_and_refuses_a_row_of_no_table(capsys):
    dmc = vsg.table_specs("dmc", "small", 2, vsg.table_methods("dmc", ["VSG", "VSG(C)"]))
    assert {method for method, _ in dmc} == {"VSG"}
    assert vsg.table_methods("shapeherd", None) is None
    with pytest.raises(SystemExit):
        vsg.main(["--table", "shapeherd", "--method", "VSG", "--table-only"])
    assert "--method VSG names no row of the shapeherd table" in capsys.readouterr().err


def test_table_only_with_a_method_filter_tabulates_those_rows(tmp_path, capsys):
    code = vsg.main(["--table", "dmc", "--budget", "small", "--method", "VSG", "--table-only",
                     "--db", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0 and "| VSG | 787+-72 | " in out and "| SVSG |" not in out
    assert out.count("| uniform random | - | ") == 2 and "(n=2)" in out   # 50K and 100K tables
    assert "0 of 4 runs finished" in out


def test_windowed_score_averages_the_last_window():
    curve = [{"step": s, "mean_return": r} for s, r in [(0, 0), (40, 10), (80, 20), (100, 30)]]
    assert vsg.windowed_score(curve, 50) == pytest.approx(25)
    assert vsg.windowed_score(curve, 1000) == pytest.approx(15)
    assert vsg.windowed_score(curve, 50, end=80) == pytest.approx(15)   # 40 and 80
    assert vsg.windowed_score(curve, 10, end=60) == pytest.approx(10)   # none inside: 40


@pytest.mark.slow
def test_smoke_budget_prints_both_tables_with_the_paper_beside_ours(tmp_path, capsys):
    code = vsg.main(["--budget", "smoke", "--db", str(tmp_path / "r.sqlite"),
                     "--out", str(tmp_path / "out"), "--workers", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "| VSG(C) | 2.59+-0.66 | " in out and "| SVSG | 472+-210 | " in out
    assert "| SVSG | 568+-254 | " in out            # the 1M table
    assert "| scripted expert | - | " in out and out.count("| uniform random | - | ") == 3
    assert out.count("(n=1)") == 3 + 2 + 2 * (4 + 1)   # rows + reference rows of 3 tables
    assert (tmp_path / "out" / "vsg_dmc_curves_smoke.png").stat().st_size > 0
