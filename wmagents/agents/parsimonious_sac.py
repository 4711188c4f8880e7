"""Discrete SAC over learnt latent states (Saanum & Schulz, "Learning Parsimonious Dynamics for
Generalization in Reinforcement Learning", appendix A.5, Algorithm 1).

Algorithm 1, per env step: store ``(s, a, r, s')`` in D. At each episode end: take
``dynamics_updates_per_episode`` gradient steps of the dynamics model on transitions from D,
then the ``M = 15`` discrete-SAC steps of
:class:`~wmagents.agents.sac_discrete.DiscreteSACLearner`, whose actor and critics read
``z = f_phi(s)`` instead of ``s`` (the encoder is trained by its own objective only; latents are
detached for SAC). ``model="none"`` is the paper's *Baseline*: plain
:class:`~wmagents.agents.sac_discrete.DiscreteSAC` on the raw observation, where only the actor
and critic losses shape the representation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces

from wmagents.agents.random_agent import random_action
from wmagents.agents.sac_discrete import (DiscreteSAC, DiscreteSACConfig, DiscreteSACLearner,
                                          warm_up)
from wmagents.api import Transition, make_config
from wmagents.models.latent_baselines import MODEL_KINDS, make_dynamics_model
from wmagents.nn import (Checkpointed, UpdateSchedule, obs_tensor, optimizer_step, resolve_device,
                         torch_batch)
from wmagents.replay import ReplayBuffer


@dataclass
class LatentSACConfig(DiscreteSACConfig):
    """The SAC fields are :class:`DiscreteSACConfig`'s (appendix A.6)."""

    model: str = "parsimonious"            # Figure 3's lines: parsimonious | vae | none (Baseline)
    latent_dim: int = 15                   # A.2: latent size 15
    model_hidden: tuple[int, ...] = (1200, 1200)   # A.2: 2 x 1200 ReLU
    transform: str = "both"                # Sec. 2.3 (rotation + translation); grids not stated
    beta: float = 0.5                      # eq. 4 / beta-VAE weight: tuned in the paper, not reported
    dynamics_lr: float = 1e-3              # A.6: dynamics model learning rate
    dynamics_updates_per_episode: int = 15  # our choice: not stated, as many as SAC's M
    dynamics_batch: int = 150              # our choice: not stated, SAC's batch


class LatentDiscreteSAC(Checkpointed):
    def __init__(self, observation_space: spaces.Box, action_space: spaces.Discrete,
                 config: LatentSACConfig, seed: int = 0, device: str = "auto"):
        if config.model not in MODEL_KINDS[:2]:
            raise ValueError(f"model={config.model!r}: policy learning uses 'parsimonious', "
                             "'vae' or 'none'")
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(f"LatentDiscreteSAC needs a Discrete action space, got {action_space}")
        self.config = config
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.schedule = UpdateSchedule(warm_up(config), config.updates_per_step,
                                       config.updates_per_episode)
        self.sac = DiscreteSACLearner(config.latent_dim, int(action_space.n), config, self.device)
        self.model = make_dynamics_model(
            config.model, observation_space.shape[0], int(action_space.n),
            latent_dim=config.latent_dim, hidden=config.model_hidden, transform=config.transform,
            beta=config.beta).to(self.device)
        self.model_optimizer = torch.optim.Adam(self.model.parameters(), lr=config.dynamics_lr)

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < warm_up(self.config):
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            x = obs_tensor(obs, self.device)
            return int(self.action_space.start + self.sac.policy(self.model.encode(x), explore)), \
                state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        metrics: dict[str, float] = {}
        if transition.episode_end and self.replay.transitions >= warm_up(self.config):
            for _ in range(self.config.dynamics_updates_per_episode):
                metrics = self.dynamics_step()
        for _ in range(self.schedule.updates(self.replay.transitions, transition.episode_end)):
            metrics = {**metrics, **self.sac_step()}
        return metrics

    def dynamics_step(self) -> dict[str, float]:
        b = torch_batch(self.replay.sample(self.config.dynamics_batch), self.device)
        loss, metrics = self.model.loss(b["obs"], b["action"], b["next_obs"])
        optimizer_step(self.model_optimizer, loss)
        return metrics

    def sac_step(self) -> dict[str, float]:
        b = torch_batch(self.replay.sample(self.config.batch_size), self.device)
        with torch.no_grad():
            b["obs"], b["next_obs"] = self.model.encode(b["obs"]), self.model.encode(b["next_obs"])
        return self.sac.update(b, (b["action"] - self.action_space.start).long())

    def _parts(self) -> dict:
        return {**self.sac.parts(), "model": self.model, "model_optimizer": self.model_optimizer,
                "replay": self.replay, "rng": self.rng}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    """``model`` in overrides picks the Figure 3 line; ``none`` is plain discrete SAC (whose
    config then refuses the dynamics fields)."""
    overrides = dict(overrides)
    if overrides.get("model") == "none":
        del overrides["model"]
        return DiscreteSAC(observation_space, action_space,
                           make_config(DiscreteSACConfig, overrides), seed=seed, device=device)
    return LatentDiscreteSAC(observation_space, action_space,
                             make_config(LatentSACConfig, overrides), seed=seed, device=device)
