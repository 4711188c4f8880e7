"""Cross-entropy method (CEM) over open-loop action sequences, batched over problems.

PlaNet (Hafner et al. 2019, Algorithm 2): sample ``candidates`` action sequences of length
``horizon`` from a diagonal Gaussian that starts at N(0, I) for every decision ("belief reset
each step"), score them, refit mean and standard deviation to the ``top_k`` best, repeat
``iterations`` times and return the final mean. Samples are clipped to the action bounds.

Discrete actions (Saanum & Schulz, Algorithm 3): candidates are logit tensors
``w ~ N(mu, I)`` of shape ``(horizon, n_actions)``; an action sequence is drawn from
``softmax(w)`` (by the Gumbel-max trick), and ``mu`` becomes the mean logits of the
``top_k`` best candidates. The returned plan is ``argmax softmax(mu)`` per step.

``score(actions)`` receives ``(batch, candidates, horizon, ...)`` torch actions (float for
Box, int64 for Discrete) and returns ``(batch, candidates)`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class CEMConfig:
    horizon: int = 12        # PlaNet Sec. 3 planner: horizon H = 12
    iterations: int = 10     # PlaNet Sec. 3: I = 10 optimisation iterations
    candidates: int = 1000   # PlaNet Sec. 3: J = 1000 candidates per iteration
    top_k: int = 100         # PlaNet Sec. 3: refit to the K = 100 best

    def __post_init__(self):
        for name in ("horizon", "iterations", "candidates", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.top_k > self.candidates:
            raise ValueError(f"top_k={self.top_k} exceeds candidates={self.candidates}")


Score = Callable[[torch.Tensor], torch.Tensor]


def _elites(returns: torch.Tensor, samples: torch.Tensor, top_k: int) -> torch.Tensor:
    """``samples[b, idx]`` for the ``top_k`` highest returns of each problem ``b``."""
    idx = returns.topk(top_k, dim=1).indices
    gather = idx.view(*idx.shape, *([1] * (samples.dim() - 2))).expand(-1, -1, *samples.shape[2:])
    return samples.gather(1, gather)


@torch.no_grad()
def cem_continuous(score: Score, batch: int, low: torch.Tensor, high: torch.Tensor,
                   config: CEMConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """Best mean action sequence ``(batch, horizon, action_dim)`` inside ``[low, high]``."""
    shape = (batch, config.horizon, low.shape[-1])
    mean = torch.zeros(shape, device=low.device)
    std = torch.ones(shape, device=low.device)
    for _ in range(config.iterations):
        noise = torch.randn((batch, config.candidates, *shape[1:]), device=low.device,
                            generator=generator)
        samples = torch.maximum(torch.minimum(mean[:, None] + std[:, None] * noise, high), low)
        elites = _elites(score(samples), samples, config.top_k)
        mean, std = elites.mean(1), elites.std(1, unbiased=False)
    return mean


@torch.no_grad()
def cem_categorical(score: Score, batch: int, n_actions: int, config: CEMConfig,
                    device: str | torch.device = "cpu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Best action sequence ``(batch, horizon)`` of ints in ``[0, n_actions)``."""
    mu = torch.zeros((batch, config.horizon, n_actions), device=device)
    for _ in range(config.iterations):
        logits = mu[:, None] + torch.randn((batch, config.candidates, *mu.shape[1:]),
                                           device=device, generator=generator)
        uniform = torch.rand(logits.shape, device=device, generator=generator)
        actions = (logits - (-uniform.clamp_min(1e-20).log()).log()).argmax(-1)  # Gumbel-max
        mu = _elites(score(actions), logits, config.top_k).mean(1)
    return mu.argmax(-1)
