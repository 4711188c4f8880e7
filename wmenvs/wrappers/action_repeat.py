"""Action repeat (Mnih et al. 2015; PlaNet and Dreamer on DMC): one agent step = R env steps.

The agent's action is applied ``repeat`` times; rewards are summed; the repeat stops early at
the first ``terminated`` or ``truncated`` step, whose observation, flags and info are returned.
``info["env_steps"]`` counts the env steps taken, so budgets can be counted in env steps (the
papers' convention) even when the last repeat of an episode is cut short.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class ActionRepeat(gym.Wrapper):
    """Repeat each action ``repeat`` times, summing rewards, stopping at episode end."""

    def __init__(self, env: gym.Env, repeat: int):
        if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
            raise ValueError(f"repeat={repeat!r}; expected an int >= 1")
        super().__init__(env)
        self.repeat = int(repeat)

    def step(self, action):
        total_reward = 0.0
        for env_steps in range(1, self.repeat + 1):
            obs, reward, terminated, truncated, info = self.env.step(action)
            total_reward += float(reward)
            if terminated or truncated:
                break
        return obs, total_reward, terminated, truncated, {**info, "env_steps": env_steps}
