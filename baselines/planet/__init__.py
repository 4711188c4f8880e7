"""Baseline adapter: PlaNet (Hafner et al. 2019) with the paper's defaults; pass
``action_repeat`` (the task protocol's R) and any other :class:`PlaNetConfig` field as overrides."""

from wmagents.agents.planet import PlaNet, PlaNetConfig
from wmagents.api import make_config


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return PlaNet(observation_space, action_space, make_config(PlaNetConfig, overrides),
                  seed=seed, device=device)
