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
    assert "| scripted expert | - | " in out
    assert out.count("(n=1)") == 3 + 1 + 4 + 4
    assert (tmp_path / "out" / "vsg_dmc_curves_smoke.png").stat().st_size > 0
