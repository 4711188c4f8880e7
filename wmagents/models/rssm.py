"""PlaNet's three latent transition models (Hafner et al. 2019, Sec. 3 and Fig. 2).

A latent state is a dict of tensors with a leading batch shape; every model provides

* ``initial(batch)`` — the zero state before the first observation;
* ``prior(state, action)`` — ``p(s_t | s_{t-1}, a_{t-1})`` (open loop, used for planning);
* ``posterior(state, action, embed)`` — ``(prior, q(s_t | s_{t-1}, a_{t-1}, o_t))``;
* ``features(state)`` — what decoders and the reward head read;
* ``kl(posterior, prior)`` — ``KL(q || p)`` summed over latent dimensions.

RSSM: deterministic GRU path ``h_t = f(h_{t-1}, s_{t-1}, a_{t-1})`` plus a Gaussian stochastic
state, prior ``p(s_t | h_t)``, posterior ``q(s_t | h_t, o_t)``; features ``[h_t, s_t]``.
SSM: stochastic only, ``p(s_t | s_{t-1}, a_{t-1})`` and ``q(s_t | p-statistics, o_t)``.
RNN: deterministic only; the posterior feeds the observation embedding into the same GRU, and
(our choice, the paper gives no formula) the "KL" is that of unit-variance Gaussians centred on
the two states, ``0.5 ||h_q - h_p||^2``, so free nats and overshooting apply unchanged.
Standard deviations are ``softplus(x) + min_std`` (PlaNet: min std 0.1). Under bf16 autocast
(``bf16=True``) the layers run in bf16 but every state leaves them as fp32 (``.float()``, a no-op
in fp32), so recurrences, samples and KLs keep full precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from wmagents.nn import mlp

State = dict[str, torch.Tensor]


@dataclass(frozen=True)
class LatentSizes:
    """PlaNet: GRU 200, stochastic 30, hidden layers 200, min std 0.1."""

    deter: int = 200
    stoch: int = 30
    hidden: int = 200
    min_std: float = 0.1


def gaussian_kl_per_dim(q_mean, q_std, p_mean, p_std) -> torch.Tensor:
    """``KL(N(q_mean, q_std) || N(p_mean, p_std))`` of each dimension of diagonal Gaussians."""
    var_ratio = (q_std / p_std).pow(2)
    return 0.5 * (var_ratio + ((q_mean - p_mean) / p_std).pow(2) - 1 - var_ratio.log())


def gaussian_kl(q_mean, q_std, p_mean, p_std) -> torch.Tensor:
    """``KL(N(q_mean, q_std) || N(p_mean, p_std))`` summed over the last dimension."""
    return gaussian_kl_per_dim(q_mean, q_std, p_mean, p_std).sum(-1)


class _Gaussian(nn.Module):
    """Layer -> (mean, std, reparameterised sample)."""

    def __init__(self, in_dim: int, sizes: LatentSizes):
        super().__init__()
        self.net = mlp(in_dim, (sizes.hidden,), 2 * sizes.stoch)
        self.min_std = sizes.min_std

    def forward(self, x: torch.Tensor) -> State:
        mean, raw = self.net(x).float().chunk(2, -1)     # fp32 under bf16 autocast
        std = F.softplus(raw) + self.min_std
        return {"mean": mean, "std": std, "stoch": mean + std * torch.randn_like(std)}


class RSSM(nn.Module):
    def __init__(self, action_dim: int, embed_dim: int, sizes: LatentSizes = LatentSizes()):
        super().__init__()
        self.sizes = sizes
        self.inp = nn.Sequential(nn.Linear(sizes.stoch + action_dim, sizes.hidden), nn.ReLU())
        self.cell = nn.GRUCell(sizes.hidden, sizes.deter)
        self.prior_head = _Gaussian(sizes.deter, sizes)
        self.post_head = _Gaussian(sizes.deter + embed_dim, sizes)
        self.feature_dim = sizes.deter + sizes.stoch

    def initial(self, batch: int, device=None) -> State:
        z = torch.zeros(batch, self.sizes.stoch, device=device)
        return {"deter": torch.zeros(batch, self.sizes.deter, device=device),
                "mean": z, "std": torch.ones_like(z), "stoch": z}

    def prior(self, state: State, action: torch.Tensor) -> State:
        deter = self.cell(self.inp(torch.cat([state["stoch"], action], -1)), state["deter"]).float()
        return {"deter": deter, **self.prior_head(deter)}

    def posterior(self, state: State, action: torch.Tensor, embed: torch.Tensor):
        prior = self.prior(state, action)
        post = {"deter": prior["deter"], **self.post_head(torch.cat([prior["deter"], embed], -1))}
        return prior, post

    def features(self, state: State) -> torch.Tensor:
        return torch.cat([state["deter"], state["stoch"]], -1)

    def kl(self, post: State, prior: State) -> torch.Tensor:
        return gaussian_kl(post["mean"], post["std"], prior["mean"], prior["std"])


class SSM(RSSM):
    def __init__(self, action_dim: int, embed_dim: int, sizes: LatentSizes = LatentSizes()):
        nn.Module.__init__(self)
        self.sizes = sizes
        self.prior_head = _Gaussian(sizes.stoch + action_dim, sizes)
        self.post_head = _Gaussian(2 * sizes.stoch + embed_dim, sizes)
        self.feature_dim = sizes.stoch

    def initial(self, batch: int, device=None) -> State:
        return {k: v for k, v in super().initial(batch, device).items() if k != "deter"}

    def prior(self, state: State, action: torch.Tensor) -> State:
        return self.prior_head(torch.cat([state["stoch"], action], -1))

    def posterior(self, state: State, action: torch.Tensor, embed: torch.Tensor):
        prior = self.prior(state, action)
        return prior, self.post_head(torch.cat([prior["mean"], prior["std"], embed], -1))

    def features(self, state: State) -> torch.Tensor:
        return state["stoch"]


class RNN(nn.Module):
    def __init__(self, action_dim: int, embed_dim: int, sizes: LatentSizes = LatentSizes()):
        super().__init__()
        self.sizes, self.embed_dim = sizes, embed_dim
        self.prior_inp = nn.Sequential(nn.Linear(action_dim, sizes.hidden), nn.ReLU())
        self.post_inp = nn.Sequential(nn.Linear(action_dim + embed_dim, sizes.hidden), nn.ReLU())
        self.cell = nn.GRUCell(sizes.hidden, sizes.deter)
        self.feature_dim = sizes.deter

    def initial(self, batch: int, device=None) -> State:
        return {"deter": torch.zeros(batch, self.sizes.deter, device=device)}

    def prior(self, state: State, action: torch.Tensor) -> State:
        return {"deter": self.cell(self.prior_inp(action), state["deter"]).float()}

    def posterior(self, state: State, action: torch.Tensor, embed: torch.Tensor):
        post = self.cell(self.post_inp(torch.cat([action, embed], -1)), state["deter"]).float()
        return self.prior(state, action), {"deter": post}

    def features(self, state: State) -> torch.Tensor:
        return state["deter"]

    def kl(self, post: State, prior: State) -> torch.Tensor:
        return 0.5 * (post["deter"] - prior["deter"]).pow(2).sum(-1)


TRANSITION_MODELS = {"rssm": RSSM, "ssm": SSM, "rnn": RNN}


def make_transition_model(name: str, action_dim: int, embed_dim: int,
                          sizes: LatentSizes = LatentSizes()) -> nn.Module:
    if name not in TRANSITION_MODELS:
        raise ValueError(f"model={name!r}; expected one of {sorted(TRANSITION_MODELS)}")
    return TRANSITION_MODELS[name](action_dim, embed_dim, sizes)
