"""REDQ: Randomized Ensembled Double Q-learning (Chen et al. 2021, arXiv:2101.05982).

Algorithm 1 of the paper on a SAC backbone (this project's :mod:`wmagents.agents.sac`), as the
authors' code (watchernyu/REDQ) runs it. Per env step, ``G`` (the update-to-data ratio, 20)
times: sample a batch, draw a random subset ``M`` (2) of the ``N`` (10) target critics, regress
*all* ``N`` critics on ``y = r + gamma (1 - terminated) (min_{i in M} Q'_i(s', a') -
alpha log pi(a'|s'))`` (Alg. 1 line 8) and Polyak-update every target. Then once, on the last
batch, the actor ascends the *mean* of the ``N`` critics minus ``alpha log pi`` (line 13) and
alpha takes its SAC step. The ensemble runs as batched matrix products
(:class:`wmagents.nn.EnsembleMLP`). Truncated steps bootstrap (the authors' 2021-08 fix).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from wmagents.agents.sac import SAC, SACConfig
from wmagents.api import Transition, make_config
from wmagents.nn import EnsembleMLP, torch_batch


@dataclass
class REDQConfig(SACConfig):
    critics: int = 10                     # Chen et al. Sec. 3 / Table 1: N = 10
    target_subset: int = 2                # Sec. 3: M = 2
    updates_per_step: int = 20            # Sec. 3: UTD ratio G = 20 (critic updates per step)
    # lr 3e-4, 2 x 256, batch 256, gamma 0.99, tau 0.005, alpha tuned from 1, 5000 random
    # steps and a 1e6 replay: the SAC defaults, as App. B of Chen et al. lists them. The target
    # entropy is -dim(A) here; the paper's runs used MBPO's per-task values
    # (``target_entropy_scale``: Hopper 1/3, HalfCheetah, Walker2d, Ant 0.5, Humanoid 2/17).


class REDQ(SAC):
    def make_critic(self, in_dim: int):
        config = self.config
        if not 1 <= config.target_subset <= config.critics:
            raise ValueError(f"target_subset must be in [1, critics={config.critics}], got "
                             f"{config.target_subset}")
        return EnsembleMLP(config.critics, in_dim, config.hidden, 1)

    def target_q(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        subset = torch.randperm(self.config.critics, device=obs.device)[: self.config.target_subset]
        return self.q(self.critic_target, obs, action, members=subset).min(0).values

    def policy_q(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self.q(self.critic, obs, action).mean(0)

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        updates = self.schedule.updates(self.replay.transitions, transition.episode_end)
        metrics: dict[str, float] = {}
        for _ in range(updates):
            batch = torch_batch(self.replay.sample(self.config.batch_size), self.device)
            metrics = self.critic_update(batch)
        return {**metrics, **self.actor_update(batch)} if updates else metrics


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return REDQ(observation_space, action_space, make_config(REDQConfig, overrides),
                seed=seed, device=device)
