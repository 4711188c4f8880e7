"""Parsimonious latent dynamics (Saanum & Schulz, "Learning Parsimonious Dynamics for
Generalization in RL", §2 and appendix A.1-A.2).

``z_t = f(s_t)``; a binary transition code ``h_t`` (rounded Bernoulli probabilities, eq. 3,
straight-through gradients) comes from the state-dependent posterior ``q(h | z_t, a_t)``; a
decoder ``j(h_t, a_t)`` gives the parameters of an affine map ``T_t`` (a translation, a rotation
``expm`` of a skew-symmetric matrix, or their composition, §2.3) and ``z~_{t+1} = T_t z_t``
(eq. 1). The parsimony term ``beta KL[q(h | z, a) || p(h | a)]`` keeps the code close to a prior
that sees the action only (eq. 4). State collapse is prevented by the contrastive loss of
eq. 5-6; the transition error is eq. 8 (deterministic) or eq. 9 (stochastic variant, A.1).

Two sign conventions of the paper are read as likelihoods (documented in docs/parsimonious.md):
eq. 6 is the binary cross entropy of the latent similarity ``k`` against the target ``l`` and
eq. 8 is ``||e||^2 - exp(-||e||)`` (the exponential is a similarity to maximise; with the
printed ``+`` the loss would be smallest at ``||e|| ~ 0.35``, not at a perfect prediction).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wmagents.nn import mlp

TRANSFORMS = ("translation", "rotation", "both")


def safe_norm(x: torch.Tensor, dim: int = -1, eps: float = 1e-8) -> torch.Tensor:
    """Euclidean norm with a finite gradient at 0 (identical states occur in every batch)."""
    return (x.pow(2).sum(dim) + eps).sqrt()


def pairwise_distances(x: torch.Tensor) -> torch.Tensor:
    """``(B, B)`` Euclidean distances between the rows of ``x`` (exact zero on identical rows)."""
    return safe_norm(x[:, None] - x[None], eps=0.0 if not x.requires_grad else 1e-8)


def transform_size(kind: str, n: int) -> int:
    """Parameters of a map on ``R^n``: ``n`` (translation), ``n(n-1)/2`` (rotation) or both."""
    if kind not in TRANSFORMS:
        raise ValueError(f"transform={kind!r}; expected one of {TRANSFORMS}")
    return {"translation": n, "rotation": n * (n - 1) // 2, "both": n + n * (n - 1) // 2}[kind]


def skew_symmetric(params: torch.Tensor, n: int) -> torch.Tensor:
    """``(..., n(n-1)/2)`` upper-triangle entries -> ``(..., n, n)`` matrix ``A = -A^T``."""
    rows, cols = torch.triu_indices(n, n, 1, device=params.device)
    upper = params.new_zeros(*params.shape[:-1], n, n)
    upper[..., rows, cols] = params
    return upper - upper.transpose(-1, -2)


def transform_parts(kind: str, params: torch.Tensor, n: int):
    """``(R, v)``: rotation ``expm(skew)`` (or None) and translation (or None), §2.3."""
    rotation = translation = None
    if kind in ("rotation", "both"):
        rotation = torch.linalg.matrix_exp(skew_symmetric(params[..., : n * (n - 1) // 2], n))
    if kind in ("translation", "both"):
        translation = params[..., -n:]
    return rotation, translation


def apply_transform(parts, z: torch.Tensor) -> torch.Tensor:
    """``T z = R z + v`` with the missing part left out."""
    rotation, translation = parts
    if rotation is not None:
        z = (rotation @ z[..., None])[..., 0]
    return z if translation is None else z + translation


def transition_error(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 8 per sample, read as a negative log-likelihood: ``||e||^2 - exp(-||e||) + 1``
    (zero for a perfect prediction)."""
    norm = safe_norm(predicted - target)
    return norm.pow(2) - torch.exp(-norm) + 1.0


def contrastive_targets(s: torch.Tensor, tau_s: float) -> torch.Tensor:
    """Eq. 5: ``l(s, s') = exp(-tau_s ||s - s'||)`` for every pair of the batch."""
    return torch.exp(-tau_s * pairwise_distances(s))


def contrastive_loss(z: torch.Tensor, s: torch.Tensor, tau_s: float, tau_z: float) -> torch.Tensor:
    """Eq. 6: cross entropy of the latent similarity ``k = exp(-tau_z ||z - z'||)`` against the
    targets ``l`` over all ``B x B`` pairs (log-space, so ``k -> 0`` and ``k = 1`` stay finite)."""
    target = contrastive_targets(s, tau_s).detach()
    log_k = -tau_z * pairwise_distances(z)
    log_not_k = torch.log((-torch.expm1(log_k)).clamp_min(1e-6))
    return -(target * log_k + (1 - target) * log_not_k).mean()


def bernoulli_kl(posterior_logits: torch.Tensor, prior_logits: torch.Tensor) -> torch.Tensor:
    """``KL[Bern(sigmoid(q)) || Bern(sigmoid(p))]`` summed over units."""
    p = torch.sigmoid(posterior_logits)
    kl = p * (F.logsigmoid(posterior_logits) - F.logsigmoid(prior_logits)) \
        + (1 - p) * (F.logsigmoid(-posterior_logits) - F.logsigmoid(-prior_logits))
    return kl.sum(-1)


def gaussian_kl(mu_q, std_q, mu_p, std_p) -> torch.Tensor:
    """``KL[N(mu_q, std_q) || N(mu_p, std_p)]`` summed over the last dimension."""
    return torch.distributions.kl_divergence(torch.distributions.Normal(mu_q, std_q),
                                             torch.distributions.Normal(mu_p, std_p)).sum(-1)


def straight_through_code(logits: torch.Tensor) -> torch.Tensor:
    """Eq. 3: ``h_i = 1`` iff ``p_i >= 0.5``; the backward pass is the identity on ``p``."""
    p = torch.sigmoid(logits)
    return p + ((p >= 0.5).to(p.dtype) - p).detach()


def std_from(raw: torch.Tensor) -> torch.Tensor:
    return F.softplus(raw) + 1e-3


class LatentEncoder(nn.Module):
    """``self.encoder`` gives ``z`` (deterministic) or ``(mu, raw std)`` (``self.stochastic``)."""

    def encode_distribution(self, s: torch.Tensor):
        """``(mu, std)``; ``std`` is None for the deterministic model."""
        out = self.encoder(s)
        if not self.stochastic:
            return out, None
        mu, raw = out.chunk(2, -1)
        return mu, std_from(raw)

    def encode(self, s: torch.Tensor) -> torch.Tensor:
        """Latent state (the mean for the stochastic variant)."""
        return self.encode_distribution(s)[0]


class ParsimoniousDynamics(LatentEncoder):
    """Encoder f, posterior g, state-invariant prior g', transform decoder j (Figure 2)."""

    def __init__(self, obs_dim: int, n_actions: int, latent_dim: int = 15, code_dim: int = 15,
                 hidden: tuple[int, ...] = (1200, 1200), transform: str = "both",
                 beta: float = 0.5, tau_s: float = 100.0, tau_z: float = 0.1,
                 stochastic: bool = False):
        super().__init__()
        self.n_actions, self.latent_dim, self.transform = n_actions, latent_dim, transform
        self.beta, self.tau_s, self.tau_z, self.stochastic = beta, tau_s, tau_z, stochastic
        width = 2 if stochastic else 1
        self.encoder = mlp(obs_dim, hidden, width * latent_dim)                       # f_phi
        self.posterior = mlp(latent_dim + n_actions, hidden,                          # g_psi
                             code_dim + (latent_dim if stochastic else 0))
        self.prior = mlp(n_actions, hidden, code_dim)                                 # g'_psi'
        self.decoder = mlp(code_dim + n_actions, hidden,                              # j_omega
                           transform_size(transform, latent_dim))
        self.code_dim = code_dim

    def _one_hot(self, action: torch.Tensor) -> torch.Tensor:
        return F.one_hot(action.long(), self.n_actions).float()

    def prior_logits(self, action: torch.Tensor) -> torch.Tensor:
        """``p(h | a)``: a function of the action alone."""
        return self.prior(self._one_hot(action))

    def _posterior(self, z: torch.Tensor, a: torch.Tensor):
        out = self.posterior(torch.cat([z, a], -1))
        return out[..., : self.code_dim], out[..., self.code_dim:]

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """``z~_{t+1} = T(h(z, a), a) z`` (the mean for the stochastic variant). Each distinct
        ``(h, a)`` is decoded once: few codes means few ``expm`` calls when planning."""
        a = self._one_hot(action)
        logits, _ = self._posterior(z, a)
        key = torch.cat([(logits >= 0).float(), a], -1)
        unique, inverse = torch.unique(key, dim=0, return_inverse=True)
        rotation, translation = transform_parts(self.transform, self.decoder(unique),
                                                self.latent_dim)
        parts = tuple(None if p is None else p[inverse] for p in (rotation, translation))
        return apply_transform(parts, z)

    def loss(self, s: torch.Tensor, action: torch.Tensor, s_next: torch.Tensor):
        """Transition loss (eq. 4 with eq. 8, or eq. 9) + contrastive loss (eq. 6)."""
        a = self._one_hot(action)
        mu, std = self.encode_distribution(torch.cat([s, s_next]))
        mu_t, mu_next = mu.chunk(2)
        code_logits, raw_std = self._posterior(mu_t, a)
        h = straight_through_code(code_logits)
        parts = transform_parts(self.transform, self.decoder(torch.cat([h, a], -1)),
                                self.latent_dim)
        predicted = apply_transform(parts, mu_t)
        if self.stochastic:
            std_next = std.chunk(2)[1]
            transition = gaussian_kl(mu_next, std_next, predicted, std_from(raw_std))
        else:
            transition = transition_error(predicted, mu_next)
        parsimony = bernoulli_kl(code_logits, self.prior_logits(action))
        z = mu + std * torch.randn_like(std) if self.stochastic else mu
        contrastive = contrastive_loss(z, torch.cat([s, s_next]), self.tau_s, self.tau_z)
        loss = transition.mean() + self.beta * parsimony.mean() + contrastive
        return loss, {"transition": transition.mean().item(), "parsimony": parsimony.mean().item(),
                      "contrastive": contrastive.item(),
                      "distinct_codes": len(torch.unique((h > 0.5), dim=0))}
