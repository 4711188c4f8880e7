"""Baseline adapter: uniform random actions (see README.md)."""

from wmagents.agents.random_agent import RandomAgent, RandomConfig
from wmagents.api import make_config


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return RandomAgent(observation_space, action_space, make_config(RandomConfig, overrides),
                       seed=seed, device=device)
