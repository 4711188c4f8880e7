"""Discrete SAC over learnt latent states (Saanum & Schulz, appendix A.5, Algorithm 1).

Each episode end runs ``dynamics_updates_per_episode`` gradient steps of the dynamics model on
transitions ``(s, a, s')`` from the replay, then the ``M = 15`` SAC steps of
:class:`~wmagents.agents.sac_discrete.DiscreteSAC`, whose actor and critics read
``z = f_phi(s)`` instead of ``s`` (the encoder is trained by its own objective only; latents are
detached for SAC). ``model="none"`` is the paper's *Baseline*: plain discrete SAC on the raw
observation, where only the actor and critic losses shape the representation.

Adapter: ``make_agent(observation_space, action_space, *, seed, device, overrides)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from gymnasium import spaces

from wmagents.agents.sac_discrete import DiscreteSAC, DiscreteSACConfig
from wmagents.api import Transition, make_config
from wmagents.harness.replay import ReplayBuffer
from wmagents.models.latent_baselines import MODEL_KINDS, make_dynamics_model


@dataclass
class LatentSACConfig(DiscreteSACConfig):
    """SAC fields: appendix A.6 (see DiscreteSACConfig). Dynamics fields: appendix A.2."""

    model: str = "parsimonious"            # parsimonious | vae | none (Figure 3's three lines)
    latent_dim: int = 15                   # A.2
    model_hidden: tuple[int, ...] = (1200, 1200)   # A.2: 2 x 1200 ReLU
    transform: str = "both"                # §2.3; the paper does not say which for the grids
    beta: float = 0.5                      # eq. 4 / beta-VAE: tuned in the paper, not reported
    dynamics_lr: float = 1e-3              # A.6
    dynamics_updates_per_episode: int = 15  # not stated (our choice: as many as SAC's M)
    dynamics_batch: int = 150              # not stated (our choice: SAC's batch)


class LatentDiscreteSAC(DiscreteSAC):
    def __init__(self, observation_space: spaces.Box, action_space: spaces.Discrete,
                 config: LatentSACConfig, seed: int = 0, device: str = "auto"):
        if config.model not in MODEL_KINDS[:2]:
            raise ValueError(f"model={config.model!r}: policy learning uses 'parsimonious', "
                             "'vae' or 'none'")
        latent_space = spaces.Box(-float("inf"), float("inf"), (config.latent_dim,))
        super().__init__(latent_space, action_space, config, seed, device)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.model = make_dynamics_model(
            config.model, observation_space.shape[0], int(action_space.n),
            latent_dim=config.latent_dim, hidden=config.model_hidden, transform=config.transform,
            beta=config.beta).to(self.device)
        self.nets["model"] = self.model
        self.optimizers["model"] = torch.optim.Adam(self.model.parameters(), lr=config.dynamics_lr)

    def _policy(self, obs: torch.Tensor, explore: bool) -> int:
        return super()._policy(self.model.encode(obs), explore)

    def _batch(self) -> dict[str, torch.Tensor]:
        batch = super()._batch()
        with torch.no_grad():
            batch["obs"], batch["next_obs"] = (self.model.encode(batch[k])
                                               for k in ("obs", "next_obs"))
        return batch

    def _dynamics_step(self) -> dict[str, float]:
        b = {k: torch.as_tensor(v, device=self.device)
             for k, v in self.replay.sample(self.config.dynamics_batch).items()}
        loss, metrics = self.model.loss(b["obs"].float(), b["action"], b["next_obs"].float())
        self._step(self.optimizers["model"], loss)
        return metrics

    def observe(self, transition: Transition) -> dict[str, float]:
        """Algorithm 1: the step joins D; at an episode end, the dynamics steps, then SAC's."""
        self.replay.add(transition)
        if self.replay.transitions < self.config.learning_starts:
            return {}
        metrics: dict[str, float] = {}
        if transition.episode_end:
            for _ in range(self.config.dynamics_updates_per_episode):
                metrics = self._dynamics_step()
        for _ in range(self.config.updates_per_step
                       + self.config.updates_per_episode * transition.episode_end):
            metrics = {**metrics, **self._update(self._batch())}
        return metrics


def make_agent(observation_space, action_space, *, seed, device, overrides):
    """``model`` in overrides picks the Figure 3 line; ``none`` is plain discrete SAC (whose
    config then refuses the dynamics fields)."""
    overrides = dict(overrides)
    if overrides.get("model") == "none":
        del overrides["model"]
        return DiscreteSAC(observation_space, action_space,
                           make_config(DiscreteSACConfig, overrides), seed=seed, device=device)
    config = make_config(LatentSACConfig, overrides)
    return LatentDiscreteSAC(observation_space, action_space, config, seed=seed, device=device)
