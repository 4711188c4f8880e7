"""Channel-first frame stacking for pixel agents (DynE appendix B: 4 frames -> 12x64x64).

``ChannelFirstFrameStack(env, num_frames=4)`` turns ``(H, W, C)`` uint8 images into one
``(num_frames * C, H, W)`` array, oldest frame first, newest last. After a reset the first
frame fills every slot. Every observation is a fresh array (no aliasing between steps).
Gymnasium's ``FrameStackObservation`` instead adds a leading axis ``(k, H, W, C)``; the papers'
convolutional encoders take the channel-first concatenation, so that is what this returns.
"""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class ChannelFirstFrameStack(gym.Wrapper):
    """Stack the last ``num_frames`` ``(H, W, C)`` images into ``(num_frames * C, H, W)``."""

    def __init__(self, env: gym.Env, num_frames: int = 4):
        if isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer)) or num_frames < 1:
            raise ValueError(f"num_frames={num_frames!r}; expected an int >= 1")
        space = env.observation_space
        if not (isinstance(space, spaces.Box) and len(space.shape) == 3):
            raise ValueError(f"observation_space {space} is not an (H, W, C) image Box")
        super().__init__(env)
        self.num_frames = int(num_frames)
        channel_first = (2, 0, 1)
        self.observation_space = spaces.Box(
            np.tile(np.transpose(space.low, channel_first), (self.num_frames, 1, 1)),
            np.tile(np.transpose(space.high, channel_first), (self.num_frames, 1, 1)),
            dtype=space.dtype)
        self._frames: deque[np.ndarray] = deque(maxlen=self.num_frames)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        frame = np.transpose(obs, (2, 0, 1))
        self._frames.clear()
        self._frames.extend([frame] * self.num_frames)
        return self._stacked(), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._frames.append(np.transpose(obs, (2, 0, 1)))
        return self._stacked(), reward, terminated, truncated, info

    def _stacked(self) -> np.ndarray:
        return np.concatenate(self._frames, axis=0)
