"""Uniform random actions: the floor of every table and the normalisation reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from wmagents.api import Transition, make_config


def random_action(space: spaces.Space, rng: np.random.Generator):
    """A uniform action drawn from ``rng`` (the space's own RNG is not checkpointed)."""
    if isinstance(space, spaces.Discrete):
        return int(space.start + rng.integers(space.n))
    if isinstance(space, spaces.Box) and np.all(np.isfinite(space.low) & np.isfinite(space.high)):
        return rng.uniform(space.low, space.high).astype(space.dtype)
    raise ValueError(f"random_action supports Discrete and bounded Box spaces, got {space}")


@dataclass
class RandomConfig:
    """No hyper-parameters."""


class RandomAgent:
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: RandomConfig | None = None, seed: int = 0, device: str = "auto"):
        self.config = config or RandomConfig()
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        random_action(action_space, self.rng)  # fail early on unsupported spaces

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        return random_action(self.action_space, self.rng), state

    def observe(self, transition: Transition) -> dict[str, float]:
        return {}

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return RandomAgent(observation_space, action_space, make_config(RandomConfig, overrides),
                       seed=seed, device=device)
