"""Action repeat, channel-first images and the papers' protocols (wmenvs.wrappers)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import wmenvs  # noqa: F401  (registers the IDs)
from wmenvs.wrappers.action_repeat import ActionRepeat
from wmenvs.wrappers.channel_first import ChannelFirst
from wmenvs.wrappers.protocol import PLANET_ACTION_REPEAT, make_protocol_env, protocol


class Counter(gym.Env):
    """Reward t on step t (1-based); terminates after ``end`` steps; obs is a 4x3x2 ramp + t."""

    observation_space = spaces.Box(0, 255, (4, 3, 2), np.uint8)
    action_space = spaces.Discrete(2)

    def __init__(self, end: int = 10):
        self.end, self.t = end, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        return self._obs(), float(self.t), self.t >= self.end, False, {"t": self.t}

    def _obs(self):
        return (np.arange(24, dtype=np.uint8).reshape(4, 3, 2) + self.t).astype(np.uint8)


def test_action_repeat_sums_rewards_and_returns_the_last_step():
    env = ActionRepeat(Counter(end=10), 4)
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(0)
    assert reward == 1 + 2 + 3 + 4 and info == {"t": 4, "env_steps": 4}
    np.testing.assert_array_equal(obs, Counter(end=10)._obs() + 4)
    assert not terminated and not truncated


def test_action_repeat_stops_at_termination():
    env = ActionRepeat(Counter(end=6), 4)
    env.reset(seed=0)
    env.step(0)
    _, reward, terminated, _, info = env.step(0)
    assert terminated and reward == 5 + 6 and info["env_steps"] == 2 and env.unwrapped.t == 6


def test_action_repeat_stops_at_truncation():
    env = ActionRepeat(gym.wrappers.TimeLimit(Counter(end=100), 5), 3)
    env.reset(seed=0)
    env.step(0)
    _, reward, terminated, truncated, info = env.step(0)
    assert truncated and not terminated and reward == 4 + 5 and info["env_steps"] == 2


@pytest.mark.parametrize("repeat", [0, -1, 1.5, True, "2"])
def test_action_repeat_refuses_bad_counts(repeat):
    with pytest.raises(ValueError, match="repeat"):
        ActionRepeat(Counter(), repeat)


def test_channel_first_transposes_images_into_fresh_arrays():
    env = ChannelFirst(Counter())
    assert env.observation_space.shape == (2, 4, 3)
    first, _ = env.reset(seed=0)
    second = env.step(0)[0]
    np.testing.assert_array_equal(first, np.transpose(Counter()._obs(), (2, 0, 1)))
    assert first.flags.c_contiguous and not np.shares_memory(first, second)
    assert env.observation_space.contains(first)


def test_channel_first_refuses_non_images():
    with pytest.raises(ValueError, match="image"):
        ChannelFirst(gym.make("CartPole-v1"))


def test_planet_action_repeats_per_domain():
    assert {domain: protocol("planet", task).action_repeat for domain, task in [
        ("cartpole", "cartpole-swingup"), ("reacher", "reacher-easy"), ("cheetah", "cheetah-run"),
        ("finger", "finger-spin"), ("ball_in_cup", "ball_in_cup-catch"), ("walker", "walker-walk")]
    } == PLANET_ACTION_REPEAT == {"cartpole": 8, "reacher": 4, "cheetah": 4, "finger": 2,
                                  "ball_in_cup": 4, "walker": 2}
    assert protocol("planet", "cheetah-run").env_id == "wmenvs/DMC-cheetah-run-Pixels-v0"


def test_dreamer_vsg_alm_and_dyne_protocols():
    for name in ("dreamer", "vsg"):
        assert protocol(name, "quadruped-walk").action_repeat == 2
    assert protocol("vsg", "ShapeHerd").action_repeat == 1  # the ID already repeats 4 times
    alm = protocol("alm", "T-Ant")
    assert (alm.env_id, alm.action_repeat, alm.channel_first) == ("wmenvs/T-Ant-v0", 1, False)
    assert protocol("dyne", "ReacherTurn").frame_stack == 4


@pytest.mark.parametrize("name,task,match", [
    ("muzero", "cheetah-run", "name"),
    ("planet", "hopper-stand", "hopper-stand"),  # PlaNet never defined a repeat for hopper
    ("dreamer", "cheetah-fly", "no registered ID"),
    ("alm", "Ant", "ALM"),
    ("dyne", "cheetah-run", "DynE"),
])
def test_unknown_protocols_and_tasks_raise(name, task, match):
    with pytest.raises(ValueError, match=match):
        protocol(name, task)


def test_planet_cartpole_episode_is_125_agent_steps_of_1000_env_steps():
    env = make_protocol_env("planet", "cartpole-swingup")
    assert env.observation_space.shape == (3, 64, 64) and env.observation_space.dtype == np.uint8
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    agent_steps = env_steps = 0
    total = 0.0
    truncated = False
    while not truncated:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert not terminated
        agent_steps, env_steps, total = agent_steps + 1, env_steps + info["env_steps"], total + reward
    assert (agent_steps, env_steps) == (125, 1000) and 0.0 <= total <= 1000.0


def test_dyne_protocol_stacks_four_channel_first_frames():
    env = make_protocol_env("dyne", "ReacherTurn")
    obs, _ = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape == (12, 64, 64)
