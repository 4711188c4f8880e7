"""``python -m wmagents.reproduce dyne``: run specs per budget (decoders per family, TD3's
warm-up and critic trick, the evaluation protocol), embeddings trained once, the binned curves,
and the smoke budget end to end."""

import pytest

from wmagents.harness.plots import binned_curve
from wmagents.reproduce import dyne


def test_specs_transfer_one_decoder_per_family_and_follow_the_protocol():
    embeddings = {task: f"/e/{dyne.SOURCE[task]}-k{dyne.K.get(task, 4)}.pt" for task in dyne.TASKS}
    paper = dyne.figure4_specs("paper", 8, embeddings)
    assert len(paper) == 3 * 6 and all(len(group) == 8 for group in paper.values())
    thrower = paper["DynE-TD3", "Thrower"][0]
    assert thrower.overrides == {"embedding": "/e/Pusher-k8.pt", "k": 8, "random_steps": 10_000,
                                 "critic_action_repeat": True}
    assert (thrower.budget, thrower.eval_every, thrower.eval_episodes) == (5_000_000, 5_000, 10)
    turn = paper["DynE-TD3", "ReacherTurn"][0].overrides
    assert turn["embedding"] == "/e/ReacherVertical-k4.pt" and turn["random_steps"] == 0
    assert paper["TD3", "Striker"][0].overrides == {"random_steps": 10_000,
                                                    "critic_action_repeat": True}
    assert paper["SAC", "Pusher"][0].overrides == {}
    vertical = paper["TD3", "ReacherVertical"][0]
    assert (vertical.budget, vertical.eval_every) == (50_000, 1_000)
    small = dyne.figure4_specs("small", 3, embeddings)
    assert set(small) == {(m, t) for m in ("DynE-TD3", "TD3")
                          for t in ("ReacherVertical", "ReacherTurn", "Pusher")}
    assert {s.budget for group in small.values() for s in group} == {50_000}


def test_figure5_specs_pretrain_inside_each_run_on_the_pixel_ids():
    paper = dyne.figure5_specs("paper", 8)
    assert len(paper) == 4 * 3
    assert paper["Pixel-TD3", "ReacherVertical"][0].agent == "wmagents.agents.pixel_td3"
    sa = paper["SA-DynE-TD3", "ReacherTurn"][0]
    assert sa.env_id == "wmenvs/ReacherTurnPixels-v0" and sa.agent == "wmagents.agents.embedded_td3"
    assert (sa.budget, sa.eval_every, sa.eval_episodes) == (5_000_000, 5_000, 10)
    assert sa.overrides == {"method": "sa_dyne"}
    assert paper["VAE-TD3", "ReacherPush"][0].overrides == {"method": "vae", "random_steps": 10_000}
    small = dyne.figure5_specs("small", 2)
    assert set(small) == {(m, "ReacherVertical") for m in dyne.PIXEL_METHODS}
    assert small["Pixel-TD3", "ReacherVertical"][0].overrides == {"batch_size": 32}
    assert small["S-DynE-TD3", "ReacherVertical"][1].overrides["pretrain_steps"] == 20_000
    release = dyne.figure5_specs("small", 2, release_quirks=True)
    assert release["SA-DynE-TD3", "ReacherVertical"][0].overrides == {
        **small["SA-DynE-TD3", "ReacherVertical"][0].overrides, "release_quirks": True}
    assert release["Pixel-TD3", "ReacherVertical"] == small["Pixel-TD3", "ReacherVertical"]


def test_binned_curve_averages_inside_equal_bins():
    curve = [(0, 1.0), (10, 3.0), (55, 5.0), (100, 7.0)]
    assert binned_curve(curve, 4, 100) == [(12.5, 2.0), (62.5, 5.0), (87.5, 7.0)]


@pytest.mark.slow
def test_smoke_budget_prints_both_figures_and_reuses_the_embedding(tmp_path, capsys):
    args = ["--budget", "smoke", "--db", str(tmp_path / "r.sqlite"), "--out",
            str(tmp_path / "out"), "--workers", "2"]
    assert dyne.main(args) == 0
    out = capsys.readouterr().out
    for method in ("DynE-TD3", "TD3", "SAC"):
        assert f"| ReacherVertical | 100 (50,000) | {method} | - | " in out
    for method, paper in (("SA-DynE-TD3", -7.5), ("S-DynE-TD3", -6.8), ("VAE-TD3", -20),
                          ("Pixel-TD3", "below -30")):
        assert f"| ReacherVertical | 300 (3,000,000) | {method} | {paper} | " in out
    assert out.count("(n=1)") == 14 and "2,000 random steps of ReacherVertical" in out
    for figure in (4, 5):
        assert (tmp_path / "out" / f"dyne_figure{figure}_curves_smoke.png").stat().st_size > 0
    [embedding] = (tmp_path / "runs" / "dyne-embeddings").glob("*.pt")
    stamp = embedding.stat().st_mtime_ns
    assert dyne.main(args + ["--figure", "4"]) == 0        # runs and embedding reused
    assert embedding.stat().st_mtime_ns == stamp
