"""Training loop: budget, disjoint seeds, flags kept apart, exact resume after interruption."""

import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

import wmenvs  # noqa: F401
from wmagents.agents.sac_discrete import DiscreteSAC, DiscreteSACConfig
from wmagents.harness.loop import LoopConfig, episode_seed, train


class Countdown(gym.Env):
    """Terminates when a hidden counter hits zero (action 1 decrements it), truncated at 7
    steps by TimeLimit; records the seeds it was reset with."""

    observation_space = spaces.Box(-10, 10, (2,), np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self, log):
        self.log = log

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.log.append(seed)
        self.count = int(self.np_random.integers(3, 10))
        return np.array([self.count, 0], np.float32), {}

    def step(self, action):
        self.count -= int(action)
        obs = np.array([self.count, self.np_random.normal()], np.float32)
        return obs, float(action), self.count <= 0, False, {"success": self.count <= 0}


class Spy:
    """Records everything the loop passes; acts from its own RNG."""

    config = {}

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.transitions, self.eval_acts = [], 0

    def reset(self, explore):
        return 0

    def act(self, obs, state, explore):
        self.eval_acts += not explore
        return int(self.rng.integers(2)), state + 1

    def observe(self, t):
        self.transitions.append(t)
        return {"n": float(len(self.transitions))}

    def state_dict(self):
        return {"rng": self.rng.bit_generator.state, "n": len(self.transitions)}

    def load_state_dict(self, state):
        self.rng.bit_generator.state = state["rng"]


def test_budget_flags_seeds_and_separate_eval_env(tmp_path):
    envs = []

    def make_env():
        envs.append([])
        return gym.wrappers.TimeLimit(Countdown(envs[-1]), max_episode_steps=7)

    agent = Spy()
    result = train(agent, make_env, 11, LoopConfig(budget=100, eval_every=40, eval_episodes=3),
                   tmp_path)
    assert len(agent.transitions) == 100          # the budget, exactly
    assert [p["step"] for p in result.eval_points] == [0, 40, 80, 100]
    train_seeds, eval_seeds = envs                # two env instances: training, evaluation
    assert all(s % 2 == 0 for s in train_seeds) and all(s % 2 == 1 for s in eval_seeds)
    assert eval_seeds == [episode_seed(11, j, True) for j in range(3)] * 4
    flags = {(t.terminated, t.truncated) for t in agent.transitions}
    assert {(True, False), (False, True)} <= flags   # both kinds of episode end arrive
    ends = [t for t in agent.transitions if t.terminated]
    assert all(t.next_obs[0] <= 0 for t in ends)
    assert all(t.next_obs[0] > 0 for t in agent.transitions if t.truncated and not t.terminated)
    assert all(p["success_rate"] is not None for p in result.eval_points)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    episodes = [r for r in records if r["kind"] == "train_episode"]
    assert sum(r["length"] for r in episodes) == 100 and episodes[-1]["step"] == 100
    assert {"terminated", "truncated", "success", "return", "update"} <= set(episodes[0])


class Repeated(gym.Wrapper):
    """Reports three simulator steps per step, as a protocol ID with action repeat 3 does."""

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, {**info, "env_steps": 3}


def test_budget_and_schedule_count_simulator_steps(tmp_path):
    agent = Spy()
    result = train(agent, lambda: Repeated(gym.wrappers.TimeLimit(Countdown([]), 7)), 0,
                   LoopConfig(budget=30, eval_every=10, eval_episodes=1), tmp_path)
    assert len(agent.transitions) == 10     # 10 ID steps = 30 simulator steps
    assert [p["step"] for p in result.eval_points] == [0, 12, 21, 30]  # first step past 10, 20
    assert result.train_episodes[-1]["step"] == 30
    assert sum(e["length"] for e in result.train_episodes) == 10


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="eval_episodes"):
        LoopConfig(budget=10, eval_every=5, eval_episodes=0)


class Interrupt(Exception):
    pass


def grid_sac(seed=0):
    torch.manual_seed(seed)
    env = gym.make("wmenvs/GridWorld-v0")
    return DiscreteSAC(env.observation_space, env.action_space,
                       DiscreteSACConfig(hidden=(32, 32), batch_size=32, updates_per_step=1),
                       seed=seed, device="cpu")


def make_grid():
    return gym.make("wmenvs/GridWorld-v0")


# checkpoints at the episode ends at 250 and 500 (GridWorld's episodes are 250 steps)
CHECKPOINTED = LoopConfig(budget=750, eval_every=250, eval_episodes=1, checkpoint_every=250)


def train_until_crash_at_600(run_dir) -> None:
    """A grid SAC run through the loop that dies at its 600th observed step."""
    agent = grid_sac()
    observe = agent.observe

    def crash_at_600(t):
        if agent.replay.transitions == 600:
            raise Interrupt
        return observe(t)

    agent.observe = crash_at_600
    with pytest.raises(Interrupt):
        train(agent, make_grid, 0, CHECKPOINTED, run_dir)


def test_interrupted_run_resumes_to_the_identical_result(tmp_path):
    make_env, config = make_grid, CHECKPOINTED
    reference = train(grid_sac(), make_env, 0, config, tmp_path / "clean")
    train_until_crash_at_600(tmp_path / "resumed")
    torch.manual_seed(12345)   # the resumed process starts from other RNG states
    resumed = train(grid_sac(seed=0), make_env, 0, config, tmp_path / "resumed")
    assert resumed.resumed_from == 500    # the last checkpoint: the episode end at 500
    assert resumed.eval_points == reference.eval_points
    assert resumed.train_episodes == reference.train_episodes
    lines = lambda d: [ln for ln in (d / "metrics.jsonl").read_text().splitlines()  # noqa: E731
                       if '"resume"' not in ln]
    assert lines(tmp_path / "resumed") == lines(tmp_path / "clean")


@pytest.mark.parametrize("damage", ["flip", "truncate", "no checksum"])
def test_a_damaged_checkpoint_is_moved_aside_and_the_run_starts_over(tmp_path, damage):
    reference = train(grid_sac(), make_grid, 0, CHECKPOINTED, tmp_path / "clean")
    run_dir = tmp_path / "damaged"
    train_until_crash_at_600(run_dir)
    checkpoint = run_dir / "checkpoint.pt"
    data = bytearray(checkpoint.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        checkpoint.write_bytes(bytes(data))
    elif damage == "truncate":
        checkpoint.write_bytes(bytes(data[: len(data) // 3]))
    else:
        (run_dir / "checkpoint.pt.sha256").unlink()
    (run_dir / "checkpoint.pt.tmp").write_bytes(b"half a save")
    with pytest.warns(UserWarning, match="checkpoint .*checkpoint.pt.*starts over"):
        again = train(grid_sac(), make_grid, 0, CHECKPOINTED, run_dir)
    assert again.resumed_from is None and again.eval_points == reference.eval_points
    assert (run_dir / "checkpoint.pt.rejected").exists()
    assert not (run_dir / "checkpoint.pt.tmp").exists()
    assert b"\0" not in (run_dir / "metrics.jsonl").read_bytes()


def test_a_short_metrics_log_is_not_padded_with_nul_bytes(tmp_path):
    train_until_crash_at_600(tmp_path)
    (tmp_path / "metrics.jsonl").write_text('{"kind": "eval"}\n')    # shorter than recorded
    train(grid_sac(), make_grid, 0, CHECKPOINTED, tmp_path)
    assert b"\0" not in (tmp_path / "metrics.jsonl").read_bytes()


def test_metrics_log_reports_env_and_optimizer_steps_per_second(tmp_path):
    """throughput.jsonl has a line per training episode: the Spy agent steps no optimizer; one
    SGD step per observe gives as many optimizer steps as env steps."""
    make_env = lambda: gym.wrappers.TimeLimit(Countdown([]), max_episode_steps=7)  # noqa: E731
    train(Spy(), make_env, 0, LoopConfig(budget=30, eval_every=30, eval_episodes=1),
          tmp_path / "spy")
    stepping = Spy()
    weight = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.SGD([weight], lr=0.1)
    observe = stepping.observe

    def observe_and_step(transition):
        optimiser.zero_grad()
        weight.sum().backward()
        optimiser.step()
        return observe(transition)

    stepping.observe = observe_and_step
    train(stepping, make_env, 0, LoopConfig(budget=30, eval_every=30, eval_episodes=1),
          tmp_path / "stepping")
    for name, per_step in (("spy", 0.0), ("stepping", 1.0)):
        rates = [json.loads(line) for line in
                 (tmp_path / name / "throughput.jsonl").read_text().splitlines()]
        episodes = [json.loads(line)["step"] for line in
                    (tmp_path / name / "metrics.jsonl").read_text().splitlines()
                    if '"train_episode"' in line]
        assert [r["step"] for r in rates] == episodes and episodes[-1] == 30
        assert all(r["env_steps_per_s"] > 0 for r in rates)
        ratios = [r["optimizer_steps_per_s"] / r["env_steps_per_s"] for r in rates]
        assert ratios == pytest.approx([per_step] * len(rates))
    from torch.optim import optimizer

    assert not optimizer._global_optimizer_post_hooks                # hooks removed
