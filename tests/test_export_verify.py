"""leaderboard.export + leaderboard.verify: a submission round-trips bit-identically on the
same machine, a tampered bundle or a changed adapter is caught, and the verdict rules."""

import json
import shutil
from pathlib import Path

import pytest

from leaderboard import evaluate, export, verify
from wmagents.harness.store import Store

ROOT = Path(__file__).resolve().parents[1]


def tiny_suite(tmp_path, env_id="wmenvs/GridWorld-v0", budget=300, width=(-250.0, 210.0)):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"name": "tiny", "version": 1, "description": "test", "seeds": 2,
                                "tasks": [{"env_id": env_id, "budget": budget,
                                           "eval_every": budget, "eval_episodes": 1,
                                           "score_range": list(width)}]}))
    return str(path)


def submit(tmp_path, agent, suite, *overrides):
    db, bundle = str(tmp_path / "r.sqlite"), tmp_path / "bundle"
    extra = ["--set", *overrides] if overrides else []
    evaluate.main(["--agent", agent, "--suite", suite, "--db", db, "--workers", "2", *extra])
    export.main(["--agent", agent, "--suite", suite, "--db", db, "--out", str(bundle), *extra])
    return bundle


def test_a_bundle_round_trips_identically_and_tampering_is_caught(tmp_path, capsys):
    agent = tmp_path / "my_agent"
    shutil.copytree(ROOT / "baselines" / "random", agent)
    bundle = submit(tmp_path, str(agent), tiny_suite(tmp_path))
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert len(manifest["run_ids"]) == 2 and set(manifest["agent_files"]) >= {"__init__.py"}
    assert (bundle / "agent" / "__init__.py").read_text() == (agent / "__init__.py").read_text()
    capsys.readouterr()
    assert verify.main([str(bundle), "--runs", "2"]) == 0
    assert capsys.readouterr().out.count("| same | identical |") == 2

    run = bundle / "runs" / f"{manifest['run_ids'][0]}.json"
    record = json.loads(run.read_text())
    record["curve"][-1]["returns"][0] += 1.0
    record["curve"][-1]["mean_return"] += 1.0
    run.write_text(json.dumps(record))
    assert verify.main([str(bundle), "--run-id", manifest["run_ids"][0]]) == 1
    assert "| DIFFERS |" in capsys.readouterr().out

    (agent / "__init__.py").write_text((agent / "__init__.py").read_text() + "\n# changed\n")
    with pytest.raises(SystemExit, match=r"not the bundle's \(files that differ: \['__init__.py'\]"):
        verify.main([str(bundle)])


def test_export_refuses_unfinished_runs(tmp_path):
    Store(tmp_path / "empty.sqlite").close()
    with pytest.raises(SystemExit, match="2 of the 2 runs are not finished"):
        export.main(["--agent", "baselines/random", "--suite", tiny_suite(tmp_path),
                     "--db", str(tmp_path / "empty.sqlite"), "--out", str(tmp_path / "b")])


@pytest.mark.slow
def test_a_sandboxed_sac_submission_reruns_bit_identically(tmp_path, capsys):
    suite = tiny_suite(tmp_path, "wmenvs/DMC-cartpole-swingup-v0", 400, (0.0, 1000.0))
    bundle = submit(tmp_path, "baselines/sac", suite, "learning_starts=100", "batch_size=32")
    capsys.readouterr()
    assert verify.main([str(bundle), "--runs", "1"]) == 0
    assert "| same | identical |" in capsys.readouterr().out


def test_verdicts():
    curve = [{"step": 0, "mean_return": 0.0, "returns": [0.0]},
             {"step": 10, "mean_return": 100.0, "returns": [100.0]}]
    moved = [curve[0], {"step": 10, "mean_return": 120.0, "returns": [120.0]}]
    assert verify.verdict(curve, curve, True, 0.1, 1000.0) == ("identical", 0.0)
    assert verify.verdict(curve, moved, True, 0.1, 1000.0) == ("DIFFERS", 20.0)
    assert verify.verdict(curve, moved, False, 0.1, 1000.0) == ("within tolerance", 20.0)
    assert verify.verdict(curve, moved, False, 0.1, 100.0)[0] == "DIFFERS"
    assert verify.build_differences({"cpu": "A", "torch": "2"}, {"cpu": "B", "torch": "2"}) \
        == ["cpu"]
