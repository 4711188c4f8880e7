"""MBPO's probabilistic dynamics ensemble (Janner et al. 2019, Sec. 4 and App. C; the released
code's ``mbpo/models/bnn.py`` and ``constructor.py``).

``n`` MLPs (swish, 4 x 200) map the normalised ``(s, a)`` to a diagonal Gaussian over
``(r, s' - s)``. Each member's log-variance is soft-clamped between learned bounds; the loss is
the Gaussian NLL (``(mu - y)^2 e^{-logvar} + logvar``, mean over batch and dims, summed over
members) + ``0.01 (sum max_logvar - sum min_logvar)`` + per-layer L2 (``wd_l ||W_l||^2 / 2``).
:meth:`fit` trains every member on its own bootstrap of the data (sampled with replacement,
reshuffled each epoch) until no member's hold-out MSE improved by more than 1 % for
``patience`` epochs, then ranks members by hold-out MSE: the best ``elites`` are the ones
rollouts draw from.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from wmagents.nn import EnsembleMLP

IMPROVEMENT = 0.01      # MBPO bnn.py _save_best: a relative hold-out improvement above 1 %


def rollout_length(epoch: int, schedule: tuple[int, int, int, int]) -> int:
    """MBPO's schedule ``[a, b, x, y]``: length ``x`` until epoch ``a``, linear to ``y`` at
    epoch ``b``, ``y`` after."""
    a, b, x, y = schedule
    fraction = (epoch - a) / (b - a) if b > a else 1.0
    return int(min(max(x + fraction * (y - x), x), y))


class GaussianEnsemble(nn.Module):
    def __init__(self, obs_dim: int, action_dim: int, members: int, elites: int,
                 hidden: tuple[int, ...], weight_decay: tuple[float, ...]):
        super().__init__()
        if len(weight_decay) != len(hidden) + 1:
            raise ValueError(f"weight_decay needs one value per layer ({len(hidden) + 1}), "
                             f"got {len(weight_decay)}")
        if not 1 <= elites <= members:
            raise ValueError(f"elites must be in [1, members={members}], got {elites}")
        self.out_dim = 1 + obs_dim
        self.net = EnsembleMLP(members, obs_dim + action_dim, hidden, 2 * self.out_dim, nn.SiLU)
        for layer in self.net.layers:                        # the code's truncated normal init
            nn.init.trunc_normal_(layer.weight, std=1 / (2 * math.sqrt(layer.weight.shape[1])))
            nn.init.zeros_(layer.bias)
        self.max_logvar = nn.Parameter(torch.full((self.out_dim,), 0.5))
        self.min_logvar = nn.Parameter(torch.full((self.out_dim,), -10.0))
        self.register_buffer("input_mean", torch.zeros(obs_dim + action_dim))
        self.register_buffer("input_std", torch.ones(obs_dim + action_dim))
        self.register_buffer("elite_index", torch.arange(elites))
        self.weight_decay = weight_decay
        self.members = members

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``inputs`` ``(batch, in)`` or ``(members, batch, in)`` -> mean, logvar
        ``(members, batch, 1 + obs_dim)``."""
        mean, logvar = self.net((inputs - self.input_mean) / self.input_std).chunk(2, -1)
        logvar = self.max_logvar - nn.functional.softplus(self.max_logvar - logvar)
        logvar = self.min_logvar + nn.functional.softplus(logvar - self.min_logvar)
        return mean, logvar

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        mean, logvar = self(inputs)
        nll = ((mean - targets) ** 2 * torch.exp(-logvar) + logvar).mean((1, 2)).sum()
        bounds = 0.01 * (self.max_logvar.sum() - self.min_logvar.sum())
        decay = sum(wd * 0.5 * layer.weight.pow(2).sum()
                    for wd, layer in zip(self.weight_decay, self.net.layers))
        return nll + bounds + decay

    @torch.no_grad()
    def holdout_mse(self, inputs: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
        mean, _ = self(inputs)
        return ((mean - targets) ** 2).mean((1, 2)).cpu().numpy()

    def fit(self, inputs: torch.Tensor, targets: torch.Tensor, optimizer, rng: np.random.Generator,
            batch_size: int, holdout_ratio: float, max_holdout: int, patience: int,
            max_epochs: int) -> dict[str, float]:
        """Train on ``(inputs, targets)`` until hold-out MSE stalls; set the elites."""
        n = len(inputs)
        order = rng.permutation(n)
        holdout = order[: min(int(n * holdout_ratio), max_holdout)]
        train = order[len(holdout):]
        self.input_mean.copy_(inputs[train].mean(0))
        std = inputs[train].std(0, unbiased=False)
        self.input_std.copy_(torch.where(std < 1e-12, torch.ones_like(std), std))
        bootstrap = rng.integers(0, len(train), size=(self.members, len(train)))
        best = np.full(self.members, np.inf)
        stalled, epoch = 0, 0
        while stalled <= patience and (max_epochs == 0 or epoch < max_epochs):
            bootstrap = np.take_along_axis(bootstrap, rng.random(bootstrap.shape).argsort(1), 1)
            for start in range(0, len(train), batch_size):
                rows = torch.as_tensor(train[bootstrap[:, start:start + batch_size]])
                optimizer.zero_grad()
                self.loss(inputs[rows], targets[rows]).backward()
                optimizer.step()
            losses = (self.holdout_mse(inputs[holdout], targets[holdout]) if len(holdout)
                      else np.zeros(self.members))
            scale = np.where(np.isfinite(best) & (best > 0), best, 1.0)
            improved = (best - losses) / scale > IMPROVEMENT
            best = np.where(improved, losses, best)
            stalled = 0 if improved.any() else stalled + 1
            epoch += 1
        self.elite_index.copy_(torch.as_tensor(np.argsort(losses)[: len(self.elite_index)]))
        return {"model_holdout_mse": float(np.sort(losses)[: len(self.elite_index)].mean()),
                "model_epochs": float(epoch)}

    @torch.no_grad()
    def sample(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One imagined step per row from a random elite: ``(reward, next_obs)``."""
        mean, logvar = self(torch.cat([obs, action], -1))
        draw = mean + torch.randn_like(mean) * torch.exp(logvar / 2)
        pick = self.elite_index[torch.randint(len(self.elite_index), (len(obs),),
                                              device=obs.device)]
        step = draw[pick, torch.arange(len(obs), device=obs.device)]
        return step[:, 0], obs + step[:, 1:]
