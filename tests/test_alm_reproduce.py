"""``python -m wmagents.reproduce alm``: run specs per budget (the protocol, the per-task
settings of TD3 and REDQ) and the smoke budget end to end (Table 1 with the paper beside ours,
the runtime table)."""

import pytest

from wmagents.reproduce import alm


def test_specs_follow_the_protocol_and_the_per_task_settings():
    paper = alm.table_specs("paper", seeds=5)
    assert len(paper) == 7 * 5 and all(len(group) == 5 for group in paper.values())
    spec = paper["TD3", "Hopper"][0]
    assert spec.env_id == "wmenvs/Hopper-v0" and spec.agent == "wmagents.agents.td3"
    assert (spec.budget, spec.eval_every, spec.eval_episodes) == (200_000, 5_000, 5)
    assert spec.overrides == {"random_steps": 1_000}
    assert paper["TD3", "T-Ant"][0].overrides == {"random_steps": 10_000}
    assert paper["REDQ", "T-Humanoid"][0].overrides == {"target_entropy_scale": 2 / 17}
    assert paper["ALM(3)", "Walker2d"][0].overrides == {}
    assert paper["MBPO", "Hopper"][0].overrides == {
        "target_entropy_scale": 1 / 3, "termination": "hopper", "rollout_schedule": [20, 150, 1, 15]}
    svg = paper["SAC-SVG(2)", "Walker2d"][0].overrides
    assert svg == {"horizon": 2, "target_entropy_init": -2.0, "target_entropy_final": -16.0,
                   "entropy_decay_factor": 0.015625, "entropy_decay_steps": 200_000}
    small = alm.table_specs("small", seeds=2)
    assert set(small) == {(m, t) for m in ("ALM(3)", "SAC", "TD3") for t in ("HalfCheetah", "T-Ant")}
    assert small["SAC", "T-Ant"][1].budget == 30_000 and small["SAC", "T-Ant"][1].seed == 1
    assert small["ALM(3)", "T-Ant"][0].overrides == {"batch_size": 128}
    assert small["TD3", "HalfCheetah"][0].overrides == {"random_steps": 10_000}
    smoke = alm.table_specs("smoke", seeds=1)["ALM(3)", "HalfCheetah"][0]
    assert smoke.overrides["random_steps"] == 500 and smoke.overrides["batch_size"] == 64


@pytest.mark.slow
def test_smoke_budget_prints_table1_and_the_runtime_table(tmp_path, capsys):
    code = alm.main(["--budget", "smoke", "--db", str(tmp_path / "r.sqlite"),
                     "--out", str(tmp_path / "out"), "--workers", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "| ALM(3) | 10789+-366 | " in out and "| SLBO | 1097+-166 | - |" in out
    assert out.count("(n=1)") == 7
    assert "| REDQ | 0." in out and "| MBPO | 0." in out and "| SAC-SVG(3) | 0." in out
    assert (tmp_path / "out" / "alm_table1_curves_smoke.png").stat().st_size > 0
