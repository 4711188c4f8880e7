"""A tiny continuous task for the continuous-SAC learning test (no registered env is as cheap).

PointGoal1D: position ``x`` in [-1, 1] starts uniform; action ``a`` in [-1, 1] moves it by
``0.2 a``; reward ``-|x - 0.5|`` per step; 30 steps (truncation). Observation ``[x]``.
A uniform random policy scores about -15; moving to 0.5 and staying scores about -2.
"""

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class PointGoal1D(gym.Env):
    def __init__(self):
        self.observation_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = float(self.np_random.uniform(-1, 1))
        return np.array([self.x], np.float32), {}

    def step(self, action):
        self.x = float(np.clip(self.x + 0.2 * float(np.clip(action[0], -1, 1)), -1, 1))
        return np.array([self.x], np.float32), -abs(self.x - 0.5), False, False, {"success": abs(self.x - 0.5) < 0.1}


def make_point_goal() -> gym.Env:
    return gym.wrappers.TimeLimit(PointGoal1D(), max_episode_steps=30)
