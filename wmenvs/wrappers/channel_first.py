"""Channel-first images for PyTorch encoders: ``(H, W, C)`` -> ``(C, H, W)``.

On the DynE protocol IDs (``wmenvs/DynE-<Task>Pixels-v0``, four frames stacked on the channel
axis) this gives DynE's ``(12, 64, 64)`` encoder input. Every observation is a fresh contiguous
array (no aliasing).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

_HWC_TO_CHW = (2, 0, 1)


class ChannelFirst(gym.ObservationWrapper):
    """Transpose ``(H, W, C)`` image observations to ``(C, H, W)``."""

    def __init__(self, env: gym.Env):
        space = env.observation_space
        if not (isinstance(space, spaces.Box) and len(space.shape) == 3):
            raise ValueError(f"observation_space {space} is not an (H, W, C) image Box")
        super().__init__(env)
        self.observation_space = spaces.Box(np.transpose(space.low, _HWC_TO_CHW),
                                            np.transpose(space.high, _HWC_TO_CHW), dtype=space.dtype)

    def observation(self, observation):
        return np.ascontiguousarray(np.transpose(observation, _HWC_TO_CHW))
