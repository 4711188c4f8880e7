"""Tiny tasks for learning tests and the agent battery (no registered env is as cheap).

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


class PixelDot(gym.Env):
    """64x64 image of a dot moved by a 2-D action; reward -distance to the centre; 12 steps."""

    observation_space = spaces.Box(0, 255, (64, 64, 3), np.uint8)
    action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.pos, self.t = self.np_random.uniform(8, 56, 2), 0
        return self._obs(), {}

    def _obs(self):
        img = np.zeros((64, 64, 3), np.uint8)
        r, c = np.clip(self.pos.astype(int), 2, 61)
        img[r - 2:r + 3, c - 2:c + 3] = 255
        return img

    def step(self, action):
        self.pos = np.clip(self.pos + 4 * np.asarray(action), 0, 63)
        self.t += 1
        return self._obs(), -float(np.linalg.norm(self.pos - 32)) / 32, False, self.t >= 12, {}


class PixelPointGoal(PointGoal1D):
    """PointGoal1D seen as a 64x64 image: columns left of ``x`` (mapped to 0..64) are white."""

    observation_space = spaces.Box(0, 255, (64, 64, 3), np.uint8)

    def __init__(self):
        super().__init__()
        self.observation_space = PixelPointGoal.observation_space

    def _image(self, obs):
        image = np.zeros((64, 64, 3), np.uint8)
        image[:, : int(round((obs[0] + 1) * 32))] = 255
        return image

    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed, options=options)
        return self._image(obs), info

    def step(self, action):
        obs, *rest = super().step(action)
        return (self._image(obs), *rest)


def make_pixel_point_goal() -> gym.Env:
    return gym.wrappers.TimeLimit(PixelPointGoal(), max_episode_steps=30)


def make_point_goal() -> gym.Env:
    return gym.wrappers.TimeLimit(PointGoal1D(), max_episode_steps=30)


class Toy(gym.Env):
    """The agent battery's env, one per (observation kind, action kind) of the agent table.

    A hidden counter starts at 2..9; action 1 (discrete) or ``a[0] > 0`` (box) counts it down
    and earns reward 1, anything else earns -0.1. The episode terminates when the counter hits 0
    and is truncated after ``MAX_STEPS`` steps, so both kinds of episode end occur. Observations
    carry the counter and noise from ``np_random``: ``vector`` (4 floats), ``image`` (64x64x3
    uint8, a bar of the counter's length), ``goal`` (Dict of ``observation`` and
    ``desired_goal`` vectors). Every action is checked against the action space: an agent
    that leaves it fails here.
    """

    MAX_STEPS = 8

    def __init__(self, observations: str, actions: str):
        vector = spaces.Box(-10.0, 10.0, (4,), np.float32)
        self.observation_space = {
            "vector": vector, "image": spaces.Box(0, 255, (64, 64, 3), np.uint8),
            "goal": spaces.Dict({"observation": vector, "desired_goal": vector})}[observations]
        self.action_space = {"box": spaces.Box(-1.0, 1.0, (2,), np.float32),
                             "discrete": spaces.Discrete(3)}[actions]
        self.kind = observations

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.count = int(self.np_random.integers(2, 10))
        return self._obs(), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise AssertionError(f"action {action!r} is outside {self.action_space}")
        down = action == 1 if isinstance(self.action_space, spaces.Discrete) else action[0] > 0
        self.count -= int(down)
        return self._obs(), 1.0 if down else -0.1, self.count <= 0, False, {}

    def _obs(self):
        vector = np.array([self.count, *self.np_random.normal(size=3)], np.float32)
        if self.kind == "image":
            image = np.zeros((64, 64, 3), np.uint8)
            image[:, : 6 * self.count, 0] = 255
            image[..., 1] = self.np_random.integers(0, 40, (64, 64), dtype=np.uint8)
            return image
        if self.kind == "goal":
            return {"observation": vector, "desired_goal": np.zeros(4, np.float32)}
        return vector


def make_toy(observations: str, actions: str) -> gym.Env:
    return gym.wrappers.TimeLimit(Toy(observations, actions), max_episode_steps=Toy.MAX_STEPS)
