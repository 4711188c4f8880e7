"""Channel-first images (wmenvs.wrappers); action repeat and frame stacking are IDs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import wmenvs  # noqa: F401  (registers the IDs)
from wmenvs.wrappers import ChannelFirst


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
