"""SAC agents: clear errors and learning tests (the agent battery covers smoke runs, resume
and state round trips of every agent in the table)."""

import re

import gymnasium as gym
import numpy as np
import pytest
import torch

import wmenvs  # noqa: F401
from point_goal_learning import train_point_goal
from toy_envs import make_point_goal
from wmagents.agents.random_agent import RandomAgent
from wmagents.agents.sac import SAC, SACConfig
from wmagents.agents.sac_discrete import DiscreteSAC, DiscreteSACConfig
from wmagents.api import make_config
from wmagents.harness.loop import LoopConfig, train

GRID = "wmenvs/GridWorld-v0"
TINY_SAC = SACConfig(hidden=(32, 32), batch_size=32, learning_starts=100)


def build(kind: str, seed: int = 0):
    """Continuous SAC on the point task (the only caller)."""
    torch.manual_seed(seed)
    env = make_point_goal()
    return SAC(env.observation_space, env.action_space, TINY_SAC, seed=seed), make_point_goal


def test_bad_inputs_are_named():
    env = gym.make(GRID)
    with pytest.raises(ValueError, match="Discrete"):
        DiscreteSAC(env.observation_space, gym.spaces.Box(-1, 1, (2,)))
    with pytest.raises(ValueError, match="Box action"):
        SAC(env.observation_space, env.action_space)
    with pytest.raises(ValueError, match="unknown SACConfig fields \\['hiden'\\]"):
        make_config(SACConfig, {"hiden": [3]})
    assert make_config(SACConfig, {"hidden": [3, 4]}).hidden == (3, 4)


@pytest.mark.slow
def test_continuous_sac_learns_point_goal(tmp_path):
    """3,000 steps on the 1-D point task: SAC must end far above random (about -15)."""
    torch.manual_seed(0)
    agent, _ = build("sac")
    final = train_point_goal(agent, tmp_path, 3000)
    assert final["mean_return"] > -4 and final["success_rate"] >= 0.9


@pytest.mark.slow
def test_discrete_sac_learns_gridworld(tmp_path):
    """Discrete SAC (paper schedule, 256-unit nets as in baselines/sac) on GridWorld-v0:
    random scores -250 (it never stays at the goal); reaching the goal (20 moves) and staying
    scores 210. Safe threshold: some evaluation in 20,000 steps (80 episodes) scores >= 0 and the
    mean of the last three is above -100 (the paper trains 200 episodes)."""
    torch.manual_seed(0)
    env = gym.make(GRID)
    agent = DiscreteSAC(env.observation_space, env.action_space,
                        DiscreteSACConfig(hidden=(256, 256)), seed=0)
    result = train(agent, lambda: gym.make(GRID), 0,
                   LoopConfig(budget=20_000, eval_every=2500, eval_episodes=1), tmp_path)
    random_result = train(RandomAgent(env.observation_space, env.action_space, seed=0),
                          lambda: gym.make(GRID), 0,
                          LoopConfig(budget=2500, eval_every=2500, eval_episodes=5), tmp_path / "r")
    curve = [p["mean_return"] for p in result.eval_points]
    print("gridworld: random", random_result.final["mean_return"], "discrete SAC curve", curve)
    assert random_result.final["mean_return"] <= -200
    assert max(curve) >= 0 and np.mean(curve[-3:]) > -100, curve


@pytest.mark.parametrize("overrides, message", [
    ({"hidden": "abc"}, "SACConfig.hidden: expected a list"),
    ({"hidden": [1.5]}, "expected a list of integers"),
    ({"batch_size": 2.5}, "SACConfig.batch_size: expected an integer"),
    ({"lr": "fast"}, "SACConfig.lr: expected a number"),
    ({"autotune_alpha": 1}, "SACConfig.autotune_alpha: expected true or false"),
])
def test_overrides_of_the_wrong_type_name_the_field(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_config(SACConfig, overrides)
    assert make_config(SACConfig, {"lr": 1}).lr == 1.0 and isinstance(make_config(SACConfig, {"lr": 1}).lr, float)
