"""The agent in its own process (wmagents/harness/sandbox.py): the boundary changes no number,
and a malicious adapter (tests/adapters/malicious_agent.py) cannot read the store or other
runs, build or find an env, read the evaluator's memory, use the network, signal the
evaluator, see the run seed, exceed the budget, or get a bad answer past the evaluator."""

import io
import signal
import socket
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

import wmenvs  # noqa: F401
from wmagents.harness import landlock
from wmagents.harness.loop import LoopConfig, train
from wmagents.harness.runner import run_sweep
from wmagents.harness.sandbox import AgentError, SandboxedAgent, agent_seed
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store

MALICIOUS = str(Path(__file__).parent / "adapters" / "malicious_agent.py")
ABI = landlock.abi_version()
needs_landlock = pytest.mark.skipif(ABI < 1, reason="no Landlock here: files are not restricted")
OBS, ACT = spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-2, 2, (2,), np.float32)


def sandboxed(tmp_path, agent=MALICIOUS, denied=(), timeout_s=60.0, **overrides):
    return SandboxedAgent(agent, OBS, ACT, seed=agent_seed(7), device="cpu",
                          overrides=overrides, denied=[str(d) for d in denied],
                          log_path=tmp_path / "agent.log", timeout_s=timeout_s)


def test_the_boundary_changes_no_action_and_state_round_trips(tmp_path):
    from baselines.random import make_agent

    torch.manual_seed(agent_seed(7))
    local = make_agent(OBS, ACT, seed=agent_seed(7), device="cpu", overrides={})
    remote = sandboxed(tmp_path, agent="baselines.random")
    try:
        obs = np.zeros(3, np.float32)
        local_state, token = local.reset(True), remote.reset(True)
        for _ in range(5):
            expected, local_state = local.act(obs, local_state, True)
            got, token = remote.act(obs, token, True)
            np.testing.assert_array_equal(got, expected)
        saved = remote.state_dict()
        after = [remote.act(obs, token, True)[0] for _ in range(3)]
        remote.load_state_dict(saved)
        np.testing.assert_array_equal([remote.act(obs, token, True)[0] for _ in range(3)], after)
    finally:
        remote.close()


@needs_landlock
@pytest.mark.parametrize("attempt", ["read_store", "write_store", "read_work_dir",
                                     "write_outside"])
def test_the_store_other_runs_and_other_files_are_out_of_reach(tmp_path, attempt):
    db, runs = tmp_path / "results.sqlite", tmp_path / "runs"
    db.write_bytes(b"SQLite format 3\0")
    (runs / "another-run").mkdir(parents=True)
    target = {"read_store": db, "write_store": db, "read_work_dir": runs / "another-run",
              "write_outside": tmp_path / "planted.txt"}[attempt]
    with pytest.raises(AgentError, match="REFUSED: PermissionError"):
        sandboxed(tmp_path / "log", denied=(db, runs), attempt=attempt, target=str(target))
    assert db.read_bytes() == b"SQLite format 3\0" and not (tmp_path / "planted.txt").exists()


@needs_landlock
@pytest.mark.parametrize("attempt, target", [
    ("import_wmenvs", None), ("make_env", "wmenvs:wmenvs/GridWorld-v0"),
    ("import_simulator", "mujoco"), ("import_simulator", "dm_control"),
    ("import_simulator", "pymunk"), ("find_env_objects", None)])
def test_no_env_can_be_built_or_found(tmp_path, attempt, target):
    with pytest.raises(AgentError, match="REFUSED"):
        sandboxed(tmp_path, attempt=attempt, target=target)


@needs_landlock
@pytest.mark.parametrize("attempt", ["read_evaluator_memory", "read_evaluator_environ"])
def test_the_evaluators_memory_and_environment_are_out_of_reach(tmp_path, attempt):
    with pytest.raises(AgentError, match="REFUSED: PermissionError"):
        sandboxed(tmp_path, attempt=attempt)


@pytest.mark.skipif(ABI < 4, reason="Landlock before ABI 4 does not restrict TCP")
def test_the_network_is_out_of_reach(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with pytest.raises(AgentError, match="REFUSED: PermissionError"):
            sandboxed(tmp_path, attempt="connect", target=port)


@pytest.mark.skipif(ABI < 6, reason="Landlock before ABI 6 does not scope signals")
def test_the_agent_cannot_signal_the_evaluator(tmp_path):
    received = []
    previous = signal.signal(signal.SIGCONT, lambda *_: received.append(1))
    try:
        with pytest.raises(AgentError, match="REFUSED: PermissionError"):
            sandboxed(tmp_path, attempt="signal_evaluator")
    finally:
        signal.signal(signal.SIGCONT, previous)
    assert not received


def test_the_agent_sees_neither_the_run_seed_nor_the_stores_path(tmp_path, monkeypatch):
    db = tmp_path / "results.sqlite"
    monkeypatch.setenv("WMAGENTS_DB", str(db))
    agent = sandboxed(tmp_path)
    agent.close()
    assert agent.config["seed_seen"] == agent_seed(7) != 7
    assert not any(str(tmp_path) in value for value in agent.config["environ"].values())
    assert not any(key.startswith("WMAGENTS") for key in agent.config["environ"])
    import wmagents                     # the agent runs the evaluator's own copy of the code
    assert agent.config["wmagents"] == str(Path(wmagents.__file__).resolve())


@pytest.mark.parametrize("attempt, message", [
    ("nan_action", "NaN"), ("outside_action", "outside Box"), ("wrong_shape", "shape"),
    ("crash", "exit code 3"), ("hang", "no answer to act within 3 s"),
    ("garbage_reply", "malformed reply"), ("pickle_reply", "not an .npy array")])
def test_a_bad_answer_stops_the_agent_with_a_clear_error(tmp_path, attempt, message):
    planted = tmp_path / "unpickled"
    agent = sandboxed(tmp_path, timeout_s=3.0, attempt=attempt, target=str(planted))
    try:
        with pytest.raises(AgentError, match=message):
            agent.act(np.zeros(3, np.float32), agent.reset(True), True)
    finally:
        agent.close()
    assert not planted.exists()        # nothing from the agent is unpickled


def test_the_agent_sees_exactly_the_budget(tmp_path):
    make = lambda: gym.make("wmenvs/GridWorld-v0")        # noqa: E731
    env = make()
    agent = SandboxedAgent(MALICIOUS, env.observation_space, env.action_space, seed=1,
                           device="cpu", overrides={}, denied=[], log_path=tmp_path / "a.log")
    try:
        train(agent, make, 0, LoopConfig(150, 150, 1, checkpoint_every=1000), tmp_path / "run")
        state = torch.load(io.BytesIO(agent.state_dict()["sandboxed"]), weights_only=False)
    finally:
        agent.close()
    assert state["agent"]["observed"] == 150


def test_a_sandboxed_run_records_its_boundary_and_a_failed_one_its_error(tmp_path):
    good = RunSpec(MALICIOUS, "wmenvs/GridWorld-v0", 0, 100, 100, 1, {}, "process")
    bad = RunSpec(MALICIOUS, "wmenvs/GridWorld-v0", 0, 100, 100, 1, {"attempt": "crash"},
                  "process")
    assert good.run_id != RunSpec(MALICIOUS, "wmenvs/GridWorld-v0", 0, 100, 100, 1).run_id
    with Store(tmp_path / "r.sqlite") as store:
        report = run_sweep([good, bad], store, tmp_path / "runs", workers=1)
        assert report.finished == [good.run_id] and "exit code 3" in report.failed[bad.run_id]
        assert "exit code 3" in store.error(bad.run_id)
        (row,) = store.runs()
        expected = f"Landlock ABI {ABI}" if ABI else "files not restricted"
        assert expected in row["provenance_json"]
