"""The comparison models of Saanum & Schulz §4.3-4.4: latent dynamics with affine transitions
predicted from ``(z, a)`` directly, with no transition code and no parsimony term.

* ``vae`` (Figure 3): beta-VAE (Higgins et al. 2016) ``q(z | s) = N(mu, sigma)`` with a
  reconstruction of ``s`` and, as the auxiliary task, next-state prediction: the predicted
  ``T(z, a) z`` is decoded and compared with ``s_{t+1}``; ``beta KL[q(z | s) || N(0, I)]``.
* ``rnn`` (Figure 4): deterministic recurrent model ``z_{t+1} = T(z_t, a_t) z_t`` trained to
  reconstruct ``s_t`` and ``s_{t+1}`` (the latter from the predicted latent) and to match the
  encoded next latent (squared error).
* ``ssm`` (Figure 4): stochastic state-space model (Hafner et al. 2019b, one-step) with the
  beta-VAE objective: reconstruction of ``s_t`` and ``s_{t+1}`` from posterior samples and
  ``beta KL[q(z_{t+1} | s_{t+1}) || N(T(z_t, a_t) z_t, sigma(z_t, a_t))]``.

The paper gives neither their beta nor their decoder; both are this project's choice
(``beta = 1``, a decoder of the same width as the encoder, Gaussian log-likelihood = summed
squared error). :func:`make_dynamics_model` builds any model of the paper by name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wmagents.models.parsimonious import (LatentEncoder, ParsimoniousDynamics, apply_transform,
                                          gaussian_kl, std_from, transform_parts,
                                          transform_size)
from wmagents.nn import mlp

BASELINE_KINDS = ("vae", "rnn", "ssm")
MODEL_KINDS = ("parsimonious", *BASELINE_KINDS)


def squared_error(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y).pow(2).sum(-1)


class AffineLatentModel(LatentEncoder):
    def __init__(self, kind: str, obs_dim: int, n_actions: int, latent_dim: int = 15,
                 hidden: tuple[int, ...] = (1200, 1200), transform: str = "both",
                 beta: float = 1.0):
        super().__init__()
        if kind not in BASELINE_KINDS:
            raise ValueError(f"kind={kind!r}; expected one of {BASELINE_KINDS}")
        self.kind, self.n_actions, self.latent_dim = kind, n_actions, latent_dim
        self.transform, self.beta = transform, beta
        self.stochastic = kind != "rnn"
        n_params = transform_size(transform, latent_dim)
        self.encoder = mlp(obs_dim, hidden, latent_dim * (2 if self.stochastic else 1))
        self.transition = mlp(latent_dim + n_actions, hidden,
                              n_params + (latent_dim if kind == "ssm" else 0))
        self.decoder = mlp(latent_dim, hidden, obs_dim)
        self.n_params = n_params

    def _transition(self, z: torch.Tensor, action: torch.Tensor):
        """``(T z, raw std head or None)``."""
        out = self.transition(torch.cat([z, F.one_hot(action.long(), self.n_actions).float()], -1))
        parts = transform_parts(self.transform, out[..., : self.n_params], self.latent_dim)
        return apply_transform(parts, z), out[..., self.n_params:]

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self._transition(z, action)[0]

    def loss(self, s: torch.Tensor, action: torch.Tensor, s_next: torch.Tensor):
        mu, std = self.encode_distribution(torch.cat([s, s_next]))
        z = mu if std is None else mu + std * torch.randn_like(std)
        z_t, z_next = z.chunk(2)
        reconstruction = squared_error(self.decoder(z), torch.cat([s, s_next])).mean() * 2
        if self.kind == "vae":
            predicted, _ = self._transition(z_t, action)
            transition = squared_error(self.decoder(predicted), s_next)
            kl = gaussian_kl(mu, std, torch.zeros_like(mu), torch.ones_like(std))
        elif self.kind == "rnn":
            predicted, _ = self._transition(z_t, action)
            transition = squared_error(self.decoder(predicted), s_next) \
                + squared_error(predicted, z_next)
            kl = torch.zeros(1)
        else:
            predicted, raw_std = self._transition(z_t, action)
            mu_next, std_next = mu.chunk(2)[1], std.chunk(2)[1]
            transition = torch.zeros(1)
            kl = gaussian_kl(mu_next, std_next, predicted, std_from(raw_std))
        loss = reconstruction + transition.mean() + self.beta * kl.mean()
        return loss, {"reconstruction": reconstruction.item(), "transition": transition.mean().item(),
                      "kl": kl.mean().item()}


def make_dynamics_model(kind: str, obs_dim: int, n_actions: int, *, latent_dim: int,
                        hidden: tuple[int, ...], transform: str, beta: float,
                        tau_s: float = 100.0, tau_z: float = 0.1,
                        stochastic: bool = False) -> nn.Module:
    """Any model of the paper by name: ``parsimonious`` or one of :data:`BASELINE_KINDS`."""
    if kind == "parsimonious":
        return ParsimoniousDynamics(obs_dim, n_actions, latent_dim, latent_dim, hidden, transform,
                                    beta, tau_s, tau_z, stochastic)
    if stochastic:
        raise ValueError(f"stochastic=True is the parsimonious model's A.1 variant, not {kind!r}'s")
    return AffineLatentModel(kind, obs_dim, n_actions, latent_dim, hidden, transform, beta)
