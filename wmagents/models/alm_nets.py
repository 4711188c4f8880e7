"""The networks of ALM (Ghugare et al., "Simplifying Model-based RL: Learning Representations,
Latent-space Models, and Policies with One Objective", App. D Tables 3-4, and its code).

* :class:`LatentGaussian` — the encoder ``e(z|s)`` and the latent model ``m(z'|z, a)``: an ELU
  MLP to a diagonal Gaussian whose mean is squashed to ``30 tanh(mean / 30)`` and whose std is
  softly bounded into [0.1, 10] by two softplus clamps.
* :func:`value_net` — reward ``r(z, a)``, each critic ``Q(z, a)`` and the classifier
  ``C(z, a, z')``: ``in -> 512 -> LayerNorm -> tanh -> 512 -> ELU -> out``.
* :class:`LatentActor` — ``z -> 512 -> 512 (ELU) -> tanh`` mean; the std is the scheduled
  scalar, not learned; samples are clamped into the box straight-through.

Every linear layer starts orthogonal with zero bias, as in the authors' code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn
from torch.distributions import Independent, Normal

from wmagents.nn import mlp, orthogonal_init

STD_MIN, STD_MAX = 0.1, 10.0     # the code's soft std bounds
MEAN_BOUND = 30.0                # the code's mean squashing scale


class LatentGaussian(nn.Module):
    def __init__(self, in_dim: int, hidden: tuple[int, ...], latent_dim: int):
        super().__init__()
        self.net = orthogonal_init(mlp(in_dim, hidden, 2 * latent_dim, nn.ELU))

    def forward(self, *inputs: torch.Tensor) -> Independent:
        mean, std = self.net(torch.cat(inputs, -1)).chunk(2, -1)
        mean = MEAN_BOUND * torch.tanh(mean / MEAN_BOUND)
        std = STD_MAX - F.softplus(STD_MAX - std)
        std = STD_MIN + F.softplus(std - STD_MIN)
        return Independent(Normal(mean, std), 1)


def value_net(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return orthogonal_init(nn.Sequential(
        nn.Linear(in_dim, hidden), nn.LayerNorm(hidden), nn.Tanh(),
        nn.Linear(hidden, hidden), nn.ELU(), nn.Linear(hidden, out_dim)))


class TwinCritic(nn.Module):
    """Two :func:`value_net` critics; ``forward`` stacks ``Q_1, Q_2`` on a leading axis."""

    def __init__(self, in_dim: int, hidden: int):
        super().__init__()
        self.members = nn.ModuleList(value_net(in_dim, hidden, 1) for _ in range(2))

    def forward(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        x = torch.cat([z, action], -1)
        return torch.stack([q(x).squeeze(-1) for q in self.members])


class Classifier(nn.Module):
    """``C(z, a, z')``: 2 logits (imagined, real); the intrinsic reward is their difference,
    the log-odds ``log C / (1 - C)`` of eq. 8-9."""

    def __init__(self, latent_dim: int, action_dim: int, hidden: int):
        super().__init__()
        self.net = value_net(2 * latent_dim + action_dim, hidden, 2)

    def forward(self, z, action, next_z) -> torch.Tensor:
        return self.net(torch.cat([z, action, next_z], -1))

    def log_odds(self, z, action, next_z) -> torch.Tensor:
        logits = self(z, action, next_z)
        return logits[..., 1] - logits[..., 0]


class LatentActor(nn.Module):
    def __init__(self, latent_dim: int, hidden: tuple[int, ...], action_space: spaces.Box):
        super().__init__()
        self.net = orthogonal_init(mlp(latent_dim, hidden, action_space.shape[0], nn.ELU))
        self.register_buffer("low", torch.as_tensor(action_space.low, dtype=torch.float32))
        self.register_buffer("high", torch.as_tensor(action_space.high, dtype=torch.float32))

    def mean(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(z))

    def sample(self, z: torch.Tensor, std: float, clip: float | None) -> torch.Tensor:
        """``mean + clip(std * eps, +-clip)`` (no clip when ``clip`` is None), clamped into
        ``[low + 1e-6, high - 1e-6]`` with a straight-through gradient."""
        mean = self.mean(z)
        noise = std * torch.randn_like(mean)
        if clip is not None:
            noise = noise.clamp(-clip, clip)
        return self.clamp(mean + noise)

    def clamp(self, action: torch.Tensor) -> torch.Tensor:
        clamped = torch.max(torch.min(action, self.high - 1e-6), self.low + 1e-6)
        return action + (clamped - action).detach()
