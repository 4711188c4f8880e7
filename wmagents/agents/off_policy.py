"""What the two SAC variants share: replay, update schedule, temperature, twin critics, state.

Schedule: the first ``learning_starts`` env steps act uniformly at random; after that each
observed step triggers ``updates_per_step`` gradient steps, plus ``updates_per_episode`` at
every episode end (the per-episode schedule of Saanum & Schulz, Algorithm 1).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition
from wmagents.harness.replay import ReplayBuffer
from wmagents.nn import mlp, resolve_device


class TwinQ(nn.Module):
    """Two independent critics (clipped double Q, Fujimoto et al. 2018, as used by SAC)."""

    def __init__(self, in_dim: int, hidden: tuple[int, ...], out_dim: int):
        super().__init__()
        self.q1, self.q2 = mlp(in_dim, hidden, out_dim), mlp(in_dim, hidden, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.q1(x), self.q2(x)])


class OffPolicyAgent:
    """Base class; subclasses build ``self.nets`` / ``self.optimizers`` and define
    ``_policy(obs, explore)`` and ``_update(batch) -> metrics``."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space, config,
                 seed: int, device: str):
        if not (isinstance(observation_space, spaces.Box) and len(observation_space.shape) == 1):
            raise ValueError("this agent takes flat vector observations (Box of rank 1), got "
                             f"{observation_space}; pixel tasks need an agent with an encoder")
        self.config = config
        self.action_space = action_space
        self.obs_dim = observation_space.shape[0]
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.log_alpha = torch.tensor(math.log(config.init_alpha), device=self.device,
                                      requires_grad=config.autotune_alpha)
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        if config.autotune_alpha:
            self.optimizers["alpha"] = torch.optim.Adam([self.log_alpha], lr=config.lr)

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.detach().exp()

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < self.config.learning_starts:
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(obs, np.float32), device=self.device)[None]
            return self._policy(x, explore), state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        if self.replay.transitions < max(self.config.learning_starts, 1):
            return {}
        n = self.config.updates_per_step + self.config.updates_per_episode * transition.episode_end
        metrics: dict[str, float] = {}
        for _ in range(n):
            metrics = self._update(self._batch())
        return metrics

    def _batch(self) -> dict[str, torch.Tensor]:
        batch = self.replay.sample(self.config.batch_size)
        out = {k: torch.as_tensor(v, device=self.device) for k, v in batch.items()}
        for key in ("obs", "next_obs", "reward", "terminated"):
            out[key] = out[key].float()
        return out

    def _alpha_step(self, entropy: torch.Tensor, target: float) -> float:
        """Automatic temperature (Haarnoja et al. 2018b, eq. 18): raise alpha while the policy's
        entropy is below ``target``, lower it above."""
        if self.config.autotune_alpha:
            loss = (self.log_alpha * (entropy.detach() - target)).mean()
            self.optimizers["alpha"].zero_grad()
            loss.backward()
            self.optimizers["alpha"].step()
        return float(self.alpha)

    @staticmethod
    def _step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> float:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def state_dict(self) -> dict:
        return {"nets": {k: v.state_dict() for k, v in self.nets.items()},
                "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
                "log_alpha": self.log_alpha.detach().clone(), "replay": self.replay.state_dict(),
                "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state["nets"].items():
            self.nets[k].load_state_dict(v)
        for k, v in state["optimizers"].items():
            self.optimizers[k].load_state_dict(v)
        with torch.no_grad():
            self.log_alpha.copy_(state["log_alpha"])
        self.replay.load_state_dict(state["replay"])
        self.rng.bit_generator.state = state["rng"]
