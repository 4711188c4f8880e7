"""DeepMind Control Suite tasks as wmenvs IDs (state and 64x64 pixels); see ``env.DMCEnv``."""

from wmenvs.dmc.env import DMCEnv, default_camera, flatten_observation

__all__ = ["DMCEnv", "default_camera", "flatten_observation"]
