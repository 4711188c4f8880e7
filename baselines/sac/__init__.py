"""Baseline adapter: SAC — continuous (Haarnoja et al. 2018) for Box actions, discrete
(Christodoulou 2019, as in Saanum & Schulz) for Discrete actions (see README.md)."""

from gymnasium import spaces

from wmagents.agents import sac, sac_discrete

# This baseline's deviations from the papers' defaults, chosen for CPU budgets (see README.md).
LEADERBOARD_DEFAULTS = {"discrete": {"hidden": (256, 256)}, "continuous": {"learning_starts": 1000}}


def make_agent(observation_space, action_space, *, seed, device, overrides):
    kind = "discrete" if isinstance(action_space, spaces.Discrete) else "continuous"
    module = sac_discrete if kind == "discrete" else sac
    return module.make_agent(observation_space, action_space, seed=seed, device=device,
                             overrides={**LEADERBOARD_DEFAULTS[kind], **overrides})
