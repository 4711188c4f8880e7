"""CEM planner (continuous and categorical, batched) and the true-simulator adapters."""

import gymnasium as gym
from dm_control.rl.control import PhysicsError
import numpy as np
import pytest
import torch

import wmenvs  # noqa: F401
from wmagents.planners.true_sim_cem import TrueSimCEM, TrueSimCEMConfig
from wmagents.harness.loop import run_episode
from wmagents.planners.cem import CEMConfig, cem_categorical, cem_continuous
from wmagents.planners.dmc_rewards import BATCH_REWARDS
from wmagents.planners.true_sim import (CopyRollout, MuJoCoBatchRollout, MuJoCoRollout,
                                        TableRollout, simulator_for)
from wmenvs.dmc.env import DMCEnv
from wmenvs.registration import dmc_id


def test_continuous_cem_finds_the_optimum_of_a_quadratic_per_problem():
    targets = torch.tensor([[0.3, -0.6], [-0.9, 0.1], [0.5, 2.0]])   # last: outside the box

    def score(actions):  # (B, C, H, A) -> (B, C): -||a_h - target_b||^2 summed over h
        return -(actions - targets[:, None, None]).pow(2).sum((-1, -2))

    low, high = -torch.ones(2), torch.ones(2)
    plan = cem_continuous(score, 3, low, high, CEMConfig(horizon=4),
                          torch.Generator().manual_seed(0))
    assert plan.shape == (3, 4, 2)
    expected = targets.clamp(-1, 1)[:, None].expand(-1, 4, -1)
    assert torch.allclose(plan, expected, atol=0.05)


def test_categorical_cem_recovers_a_hidden_sequence_per_problem():
    hidden = torch.tensor([[0, 4, 2, 2, 1, 3], [3, 3, 0, 1, 4, 4]])

    def score(actions):  # number of steps matching the hidden sequence
        return (actions == hidden[:, None]).sum(-1).float()

    plan = cem_categorical(score, 2, 5, CEMConfig(horizon=6, candidates=300, top_k=30),
                           generator=torch.Generator().manual_seed(0))
    assert torch.equal(plan, hidden)


def test_cem_config_rejects_bad_values():
    with pytest.raises(ValueError, match="top_k"):
        CEMConfig(candidates=10, top_k=20)
    with pytest.raises(ValueError, match="horizon"):
        CEMConfig(horizon=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_categorical_cem_with_the_true_table_solves_a_gridworld_problem(seed):
    """Planning with the transition table walks a shortest path to the goal and stays there:
    over 20 steps that scores 20 - 2 * distance (-1 per step off the goal, +1 on it)."""
    env = gym.make("wmenvs/GridWorld-v0", start=(3, 3), goal=(6, 5), max_episode_steps=20)
    env.reset(seed=seed)
    inner = env.unwrapped
    distance = int(inner.distances[inner.agent_cell, inner.goal_cell])
    assert distance == 5
    agent = TrueSimCEM(env, TrueSimCEMConfig(horizon=8, iterations=10, candidates=1000, top_k=100),
                       seed=seed)
    result = run_episode(agent, env, seed=seed, explore=False)
    assert result["return"] == 20 - 2 * distance


def _step(env, actions):
    """Real return and last observation of ``actions`` (one per step of the ID)."""
    total, obs = 0.0, None
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        if terminated or truncated:
            break
    return total, obs


@pytest.mark.parametrize("env_id, kwargs, adapter", [
    ("wmenvs/DMC-cartpole-swingup-v0", {"action_repeat": 3}, MuJoCoBatchRollout),
    ("wmenvs/PlaNet-ball_in_cup-catch-v0", {}, MuJoCoBatchRollout),   # repeat 4, pixels
    ("wmenvs/DMC-hopper-stand-v0", {"action_repeat": 2}, MuJoCoRollout),
    ("wmenvs/GridWorld-v0", {}, TableRollout),
    ("wmenvs/ShapeHerd-v0", {}, CopyRollout),
])
def test_true_simulator_returns_match_the_env_and_leave_it_untouched(env_id, kwargs, adapter):
    """The scorer applies each planned action as the ID's step does (its action repeat)."""
    env, twin = gym.make(env_id, **kwargs), gym.make(env_id, **kwargs)   # twin: never planned on
    env.reset(seed=7)
    twin.reset(seed=7)
    rng = np.random.default_rng(0)
    if isinstance(env.action_space, gym.spaces.Discrete):
        def sample(n):
            return rng.integers(0, env.action_space.n, n)
    else:
        def sample(n):
            return rng.uniform(-1, 1, (n, *env.action_space.shape)).astype(np.float32)
    simulator = simulator_for(env)
    assert isinstance(simulator, adapter)
    for _ in range(3):
        candidates = np.stack([sample(5) for _ in range(4)])
        returns = simulator.returns(candidates)
        index = int(rng.integers(4))
        real, obs = _step(env, candidates[index])
        _, twin_obs = _step(twin, candidates[index])
        assert real == pytest.approx(returns[index], rel=1e-9, abs=1e-9)
        assert np.array_equal(obs, twin_obs)


def _near_sparse_reward(physics, domain: str) -> None:
    """Put a sparse-reward task where some candidates score and others do not."""
    named = physics.named
    if domain == "reacher":
        named.model.geom_pos["target", :2] = named.data.geom_xpos["finger", :2]
    elif domain == "ball_in_cup":          # ball at the cup's target box centre, at rest
        named.data.qpos["ball_x"] = named.data.qpos["cup_x"]
        named.data.qpos["ball_z"] = named.data.qpos["cup_z"] + 0.35
        named.data.qvel[["ball_x", "ball_z"]] = 0
    elif domain == "finger":
        named.data.qvel["hinge"] = -18
    physics.forward()


@pytest.mark.parametrize("domain, task", sorted(BATCH_REWARDS),
                         ids=[f"{d}-{t}" for d, t in sorted(BATCH_REWARDS)])
def test_batched_simulator_matches_the_step_by_step_one(domain, task):
    """Same returns as the task's own ``get_reward`` after every ``physics.step``, from states
    deep into an episode (sparse tasks put next to their reward), for random candidates; the
    real environment is left untouched."""
    env = DMCEnv(domain, task, action_repeat=2)
    env.reset(seed=3)
    rng = np.random.default_rng(1)
    low, high = env.action_space.low, env.action_space.high
    batched, stepped = MuJoCoBatchRollout(env, threads=2), MuJoCoRollout(env)
    for _ in range(3):
        for _ in range(int(rng.integers(20, 120))):
            env.step(rng.uniform(low, high).astype(np.float32))
        _near_sparse_reward(env.unwrapped._dm_env.physics, domain)
        before = env.unwrapped._dm_env.physics.get_state().copy()
        candidates = rng.uniform(low, high, (24, 10, *low.shape)).astype(np.float32)
        expected = stepped.returns(candidates)
        assert np.allclose(batched.returns(candidates), expected, rtol=1e-9, atol=1e-9)
        assert np.array_equal(env.unwrapped._dm_env.physics.get_state(), before)
        assert expected.max() > 0
        assert np.ptp(expected) > 0 or domain == "finger"   # the spinner ignores most pushes


def test_batched_simulator_scores_a_diverged_rollout_minus_infinity():
    """MuJoCo resets a diverged simulation to the upright default pose, which would otherwise
    score the task's best reward; the step-by-step scorer raises PhysicsError there."""
    env = gym.make(dmc_id("cartpole", "swingup"), action_repeat=2)
    env.reset(seed=0)
    physics = env.unwrapped._dm_env.physics
    candidates = np.zeros((3, 4, 1), np.float32)
    healthy = MuJoCoBatchRollout(env).returns(candidates)
    assert np.isfinite(healthy).all()
    physics.named.data.qvel["hinge_1"] = 1e12
    assert (MuJoCoBatchRollout(env).returns(candidates) == -np.inf).all()
    with pytest.raises(PhysicsError):
        MuJoCoRollout(env).returns(candidates)


def test_simulator_for_refuses_unknown_envs():
    with pytest.raises(ValueError, match="no true-simulator adapter"):
        simulator_for(gym.make("CartPole-v1"))
