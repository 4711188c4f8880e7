"""Actor-critic parts that SAC-family agents compose (CleanRL-style, no template classes).

* :class:`QEnsemble` — ``n`` independent critics evaluated together (twin Q for clipped double
  Q, Fujimoto et al. 2018; larger ensembles for REDQ-style subsets).
* :class:`TanhGaussianActor` — SAC's squashed Gaussian policy (Haarnoja et al. 2018,
  arXiv:1812.05905, appendix C eq. 21), scaled to a Box's bounds.
* :class:`DeterministicActor` — a tanh-bounded deterministic policy (DDPG / TD3).
* :class:`Temperature` — SAC's entropy temperature ``alpha``, fixed or tuned (eq. 18).
* :class:`UpdateSchedule` — gradient steps per env step and per episode end after a warm-up.
* :func:`optimizer_step` — zero, backward, (clip), step; returns the loss.
* :class:`Checkpointed` — an agent's ``state_dict`` over its parts; :func:`require_vector_box`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from wmagents.nn.core import mlp

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0  # the log-std clamp of the SAC authors' softlearning code
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class QEnsemble(nn.Module):
    """``n`` MLP critics; ``forward`` stacks their outputs on a new leading axis."""

    def __init__(self, in_dim: int, hidden: tuple[int, ...], out_dim: int, n: int = 2):
        super().__init__()
        self.members = nn.ModuleList(mlp(in_dim, hidden, out_dim) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([q(x) for q in self.members])


class _BoxScaled(nn.Module):
    """Maps ``tanh`` outputs in [-1, 1] affinely onto a Box's ``[low, high]``."""

    def __init__(self, action_space: spaces.Box):
        super().__init__()
        low, high = (torch.as_tensor(b, dtype=torch.float32)
                     for b in (action_space.low, action_space.high))
        self.register_buffer("scale", (high - low) / 2)
        self.register_buffer("bias", (high + low) / 2)

    def to_box(self, squashed: torch.Tensor) -> torch.Tensor:
        return squashed * self.scale + self.bias


class TanhGaussianActor(_BoxScaled):
    """With ``log_std_bounds=(lo, hi)`` the log-std is ``lo + (hi - lo)(tanh(x) + 1) / 2``
    (SAC-SVG's actor) instead of clamped into [-20, 2]."""

    def __init__(self, obs_dim: int, hidden: tuple[int, ...], action_space: spaces.Box,
                 log_std_bounds: tuple[float, float] | None = None):
        super().__init__(action_space)
        self.net = mlp(obs_dim, hidden, 2 * action_space.shape[0])
        self.log_std_bounds = log_std_bounds

    def sample(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised squashed sample in the Box and its log-probability (eq. 21), the
        Gaussian term in closed form: ``u = mean + std eps`` gives
        ``log N(u; mean, std) = -eps^2 / 2 - log std - log(2 pi) / 2`` (same value and
        gradient as building a ``Normal``, without it)."""
        mean, log_std = self.net(obs).chunk(2, dim=-1)
        if self.log_std_bounds is None:
            log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        else:
            low, high = self.log_std_bounds
            log_std = low + (high - low) * (torch.tanh(log_std) + 1) / 2
        eps = torch.randn_like(mean)
        a = torch.tanh(mean + log_std.exp() * eps)
        log_prob = -0.5 * eps.pow(2) - log_std - HALF_LOG_2PI \
            - torch.log(self.scale * (1 - a.pow(2)) + 1e-6)
        return self.to_box(a), log_prob.sum(-1)

    def mode(self, obs: torch.Tensor) -> torch.Tensor:
        """The deterministic evaluation action ``tanh(mean)`` in the Box."""
        return self.to_box(torch.tanh(self.net(obs).chunk(2, dim=-1)[0]))


class DeterministicActor(_BoxScaled):
    def __init__(self, obs_dim: int, hidden: tuple[int, ...], action_space: spaces.Box):
        super().__init__(action_space)
        self.net = mlp(obs_dim, hidden, action_space.shape[0])

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.to_box(torch.tanh(self.net(obs)))


class Temperature:
    """``alpha = exp(log_alpha)``; when tuned, ``update`` takes one Adam step on
    ``log_alpha * (entropy - target)`` (Haarnoja et al. 2018b, eq. 18): alpha rises while the
    policy's entropy is below ``target`` and falls above it."""

    def __init__(self, init: float, tune: bool, lr: float, device: torch.device):
        self.tune = tune
        self.log_alpha = torch.tensor(math.log(init), device=device, requires_grad=tune)
        self.optimizer = torch.optim.Adam([self.log_alpha], lr=lr) if tune else None

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.detach().exp()

    def update(self, entropy: torch.Tensor, target: float) -> float:
        if self.tune:
            optimizer_step(self.optimizer, (self.log_alpha * (entropy.detach() - target)).mean())
        return float(self.alpha)

    def state_dict(self) -> dict:
        return {"log_alpha": self.log_alpha.detach().clone(),
                "optimizer": self.optimizer.state_dict() if self.tune else None}

    def load_state_dict(self, state: dict) -> None:
        with torch.no_grad():
            self.log_alpha.copy_(state["log_alpha"])
        if self.tune:
            self.optimizer.load_state_dict(state["optimizer"])


@dataclass(frozen=True)
class UpdateSchedule:
    """No updates before ``learning_starts`` stored steps (nor before the first); then
    ``per_step`` gradient steps after every step plus ``per_episode`` at each episode end."""

    learning_starts: int
    per_step: int
    per_episode: int

    def updates(self, stored_steps: int, episode_end: bool) -> int:
        if stored_steps < max(self.learning_starts, 1):
            return 0
        return self.per_step + self.per_episode * episode_end


def optimizer_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                   parameters=None, max_norm: float | None = None,
                   error_if_nonfinite: bool = False) -> float:
    """One step on ``loss``; with ``max_norm`` the ``parameters``' gradient norm is clipped
    (and a non-finite norm raises when ``error_if_nonfinite``)."""
    optimizer.zero_grad()
    loss.backward()
    if max_norm is not None:
        torch.nn.utils.clip_grad_norm_(parameters, max_norm, error_if_nonfinite=error_if_nonfinite)
    optimizer.step()
    return loss.item()


def states(parts: dict) -> dict:
    """``{name: state}`` of an agent's parts: modules, optimisers, the parts above, a replay,
    and numpy ``Generator`` s (their bit-generator state)."""
    return {name: part.bit_generator.state if isinstance(part, np.random.Generator)
            else part.state_dict() for name, part in parts.items()}


def load_states(parts: dict, state: dict) -> None:
    """Restore what :func:`states` saved, in place."""
    for name, part in parts.items():
        if isinstance(part, np.random.Generator):
            part.bit_generator.state = state[name]
        else:
            part.load_state_dict(state[name])


class Checkpointed:
    """``state_dict`` / ``load_state_dict`` of an agent over the parts its ``_parts()`` names."""

    def _parts(self) -> dict:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return states(self._parts())

    def load_state_dict(self, state: dict) -> None:
        load_states(self._parts(), state)


def require_vector_box(agent: str, observation_space: spaces.Space,
                       action_space: spaces.Space) -> None:
    """ValueError naming ``agent`` unless observations are flat vectors and actions a 1-D Box."""
    if not (isinstance(observation_space, spaces.Box) and len(observation_space.shape) == 1):
        raise ValueError(f"{agent} takes flat vector observations (Box of rank 1), got "
                         f"{observation_space}; pixel tasks need an agent with an encoder")
    if not isinstance(action_space, spaces.Box) or len(action_space.shape) != 1:
        raise ValueError(f"{agent} needs a 1-D Box action space, got {action_space}")
