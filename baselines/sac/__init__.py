"""Baseline adapter: SAC — continuous (Haarnoja et al. 2018) for Box actions, discrete
(Christodoulou 2019, as in Saanum & Schulz) for Discrete actions (see README.md)."""

from gymnasium import spaces

from wmagents.agents.sac import SAC, SACConfig
from wmagents.agents.sac_discrete import DiscreteSAC, DiscreteSACConfig
from wmagents.api import make_config

# This baseline's deviations from the papers' defaults, chosen for CPU budgets (see README.md).
ADAPTER_DEFAULTS = {DiscreteSACConfig: {"hidden": (256, 256)},
                    SACConfig: {"learning_starts": 1000}}


def make_agent(observation_space, action_space, *, seed, device, overrides):
    if isinstance(action_space, spaces.Discrete):
        agent_cls, config_cls = DiscreteSAC, DiscreteSACConfig
    else:
        agent_cls, config_cls = SAC, SACConfig
    config = make_config(config_cls, {**ADAPTER_DEFAULTS[config_cls], **overrides})
    return agent_cls(observation_space, action_space, config,
                     seed=seed, device=device)
