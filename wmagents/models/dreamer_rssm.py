"""Latent dynamics of Dreamer V1, DreamerV2, VSG and SVSG: one module, the cells as options.

RSSM (DreamerV1/V2; VSG paper eq. 1-2): ``img_step``: ``x = ELU(Dense(concat(z_{t-1},
a_{t-1})))``, ``h_t = cell(x, h_{t-1})``, prior stats from ``Dense(ELU(Dense(h_t)))``;
``obs_step``: posterior stats from ``Dense(ELU(Dense(concat(h_t, embed_t))))``; features
``concat(z_t, h_t)``. Cells:

* ``"gru"``: the plain GRU (DreamerV1);
* ``"ln_gru"``: DreamerV2's LayerNorm GRU: one Dense(3D) on ``concat(x, h)``, LayerNorm,
  ``h~ = tanh(sigmoid(reset) * cand)``, ``u = sigmoid(update - 1)``, ``h = u h~ + (1 - u) h``;
* ``"vsg"``: VSG's gated cell (eq. 2): the same without LayerNorm, and ``u ~ Bernoulli(p)``,
  ``p = sigmoid(update - 1)``, per dimension. The forward pass uses the exact binary sample (a
  closed gate leaves its dimension bit-identical); the straight-through term
  ``(p - sg(p)) (h~ - h)`` adds only the gradient of ``u h~ + (1 - u) h`` with respect to p.

SVSG (eq. 6-8): no deterministic state; the gated cell runs on ``s_{t-1}``; its ungated
candidate ``s~_t`` gives the prior stats (and, with the embedding, the posterior's); the new
state is ``u z_t + (1 - u) s_{t-1}`` for the prior and the posterior sample alike, with one gate
sample per step; the KL of each dimension is masked by its gate.

Stochastic states: Gaussian, ``std = softplus(s) + 0.1`` (V1) or ``2 sigmoid(s / 2) + 0.1``
(V2/VSG), reparameterised; or ``groups x classes`` categoricals (V2, VSG(C)) sampled one-hot with
the straight-through gradient ``sample + (p - sg(p))`` (exactly one-hot forward).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from wmagents.models.rssm import State, gaussian_kl_per_dim

CELLS = ("gru", "ln_gru", "vsg")
STD_FUNCTIONS = ("softplus", "sigmoid2")


@dataclass(frozen=True)
class DynamicsConfig:
    deter: int = 200             # DV1 released code: GRU 200
    hidden: int = 200            # DV1 released code: hidden 200
    stoch: int = 30              # DV1 released code: 30 Gaussian dims (DV2: 32 groups)
    classes: int = 0             # DV2 released code: 32 classes per group; 0 = Gaussian (DV1)
    cell: str = "gru"            # DV1 released code: gru; ln_gru (DV2), vsg (VSG eq. 2)
    std: str = "softplus"        # DV1 released code: softplus; sigmoid2 (DV2, VSG)
    min_std: float = 0.1         # DV1 and DV2 released code: 0.1
    stochastic_only: bool = False  # VSG eq. 6-8 (SVSG): no deterministic state

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell={self.cell!r}; expected one of {CELLS}")
        if self.std not in STD_FUNCTIONS:
            raise ValueError(f"std={self.std!r}; expected one of {STD_FUNCTIONS}")
        if self.stochastic_only and (self.cell != "vsg" or self.classes):
            raise ValueError("stochastic_only (SVSG) needs cell='vsg' and Gaussian latents "
                             "(classes=0)")


class GRUCell(nn.Module):
    """The LayerNorm GRU of DreamerV2 (``norm=True``) or VSG's gated cell (``gated=True``).
    ``forward(x, h) -> (h_new, update probability or None)``."""

    def __init__(self, input_dim: int, size: int, norm: bool, gated: bool,
                 update_bias: float = -1.0):
        super().__init__()
        self.layer = nn.Linear(input_dim + size, 3 * size, bias=not norm)
        self.norm = nn.LayerNorm(3 * size) if norm else nn.Identity()
        self.gated, self.update_bias = gated, update_bias

    def candidate_and_update(self, x: torch.Tensor, h: torch.Tensor):
        """``(h~, p)``: ``h~ = tanh(sigmoid(reset) * cand)``, ``p = sigmoid(update + bias)``."""
        reset, cand, update = self.norm(self.layer(torch.cat([x, h], -1)).float()).chunk(3, -1)
        return torch.tanh(torch.sigmoid(reset) * cand), torch.sigmoid(update + self.update_bias)

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        candidate, p = self.candidate_and_update(x, h)
        if not self.gated:
            return p * candidate + (1 - p) * h, None
        return gated_update(torch.rand_like(p) < p, p, candidate, h), p


def gated_update(open_: torch.Tensor, p: torch.Tensor, new: torch.Tensor,
                 previous: torch.Tensor) -> torch.Tensor:
    """``u new + (1 - u) previous`` for the binary gate sample ``open_ ~ Bernoulli(p)``: exact
    in the forward pass (a closed dimension keeps ``previous`` bit for bit), with the
    straight-through gradient ``(new - previous)`` to ``p``."""
    return torch.where(open_, new, previous) + (p - p.detach()) * (new - previous)


def _dense_elu(in_dim: int, out_dim: int) -> nn.Module:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.ELU())


class LatentDynamics(nn.Module):
    """``initial``, ``img_step`` (prior), ``obs_step`` (posterior), ``features``, ``kl``."""

    def __init__(self, action_dim: int, embed_dim: int, config: DynamicsConfig = DynamicsConfig()):
        super().__init__()
        self.config = c = config
        self.stoch_dim = c.stoch * (c.classes or 1)
        stats = c.stoch * (c.classes or 2)
        state_dim = self.stoch_dim if c.stochastic_only else c.deter
        self.inp = _dense_elu(self.stoch_dim + action_dim, c.hidden)
        if c.cell == "gru":
            self.cell = nn.GRUCell(c.hidden, c.deter)
        else:
            self.cell = GRUCell(c.hidden, state_dim, norm=c.cell == "ln_gru", gated=c.cell == "vsg")
        self.prior_net = nn.Sequential(_dense_elu(state_dim, c.hidden), nn.Linear(c.hidden, stats))
        self.post_net = nn.Sequential(_dense_elu(state_dim + embed_dim, c.hidden),
                                      nn.Linear(c.hidden, stats))
        self.feature_dim = self.stoch_dim if c.stochastic_only else self.stoch_dim + c.deter

    def initial(self, batch: int, device=None) -> State:
        c = self.config
        state = {"stoch": torch.zeros(batch, self.stoch_dim, device=device)}
        if not c.stochastic_only:
            state["deter"] = torch.zeros(batch, c.deter, device=device)
        if c.classes:
            state["logits"] = torch.zeros(batch, c.stoch, c.classes, device=device)
        else:
            state["mean"] = torch.zeros(batch, c.stoch, device=device)
            state["std"] = torch.ones(batch, c.stoch, device=device)
        return state

    def img_step(self, state: State, action: torch.Tensor) -> State:
        x = self.inp(torch.cat([state["stoch"], action], -1))
        if self.config.stochastic_only:
            return self._svsg_step(state, x, embed=None)
        deter, gate_prob = self._cell(x, state["deter"])
        prior = {"deter": deter, **self._stats(self.prior_net(deter))}
        return prior if gate_prob is None else {**prior, "gate_prob": gate_prob}

    def obs_step(self, state: State, action: torch.Tensor, embed: torch.Tensor):
        """``(prior, posterior)`` of one step; the posterior shares the prior's gates."""
        if self.config.stochastic_only:
            x = self.inp(torch.cat([state["stoch"], action], -1))
            return self._svsg_step(state, x, embed)
        prior = self.img_step(state, action)
        post = {**prior, **self._stats(self.post_net(torch.cat([prior["deter"], embed], -1)))}
        return prior, post

    def _cell(self, x: torch.Tensor, h: torch.Tensor):
        if self.config.cell == "gru":
            return self.cell(x, h).float(), None
        return self.cell(x, h)

    def _svsg_step(self, state: State, x: torch.Tensor, embed: torch.Tensor | None):
        """SVSG eq. 6-8: ``(prior, posterior)`` when ``embed`` is given, else the prior; both
        use the same gate sample."""
        previous = state["stoch"]
        candidate, p = self.cell.candidate_and_update(x, previous)
        open_ = torch.rand_like(p) < p
        gate = open_.to(p.dtype) + (p - p.detach())   # exact 0/1, straight-through gradient

        def gated(stats: State) -> State:
            stoch = gated_update(open_, p, stats["stoch"], previous)
            return {**stats, "stoch": stoch, "gate_prob": p, "gate": gate}

        prior = gated(self._stats(self.prior_net(candidate)))
        if embed is None:
            return prior
        return prior, gated(self._stats(self.post_net(torch.cat([candidate, embed], -1))))

    def _stats(self, raw: torch.Tensor) -> State:
        c, raw = self.config, raw.float()          # fp32 statistics under bf16 autocast
        if c.classes:
            logits = raw.view(*raw.shape[:-1], c.stoch, c.classes)
            probs = logits.softmax(-1)
            index = torch.multinomial(probs.reshape(-1, c.classes), 1).view(probs.shape[:-1])
            sample = F.one_hot(index, c.classes).to(probs.dtype)
            return {"logits": logits, "stoch": (sample + (probs - probs.detach())).flatten(-2)}
        mean, raw_std = raw.chunk(2, -1)
        std = F.softplus(raw_std) if c.std == "softplus" else 2 * torch.sigmoid(raw_std / 2)
        std = std + c.min_std
        return {"mean": mean, "std": std, "stoch": mean + std * torch.randn_like(std)}

    def features(self, state: State) -> torch.Tensor:
        if self.config.stochastic_only:
            return state["stoch"]
        return torch.cat([state["stoch"], state["deter"]], -1)

    def kl(self, post: State, prior: State) -> torch.Tensor:
        """``KL(post || prior)`` summed over dimensions (categorical: over groups); SVSG masks
        each dimension's KL by its gate first (its gradient reaches the gate probabilities)."""
        if self.config.classes:
            log_q, log_p = post["logits"].log_softmax(-1), prior["logits"].log_softmax(-1)
            return (log_q.exp() * (log_q - log_p)).sum((-2, -1))
        per_dim = gaussian_kl_per_dim(post["mean"], post["std"], prior["mean"], prior["std"])
        if self.config.stochastic_only:
            per_dim = per_dim * post["gate"]
        return per_dim.sum(-1)


def _detached(state: State) -> State:
    return {k: v.detach() for k, v in state.items()}


def kl_loss(dynamics: LatentDynamics, post: State, prior: State, balance: float,
            free: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(loss, mean KL)``: DreamerV2's KL balancing with free nats after the batch-time mean,
    ``(1 - b) max(mean KL(post || sg prior), free) + b max(mean KL(sg post || prior), free)``.
    ``b = 0.5`` is, as in the DreamerV2 code, the unbalanced ``max(mean KL(post || prior),
    free)`` of DreamerV1 (the formula would halve both gradients). An SVSG gate mask stays live
    in both terms."""
    if balance == 0.5:
        value = dynamics.kl(post, prior).mean()
        return value.clamp(min=free), value.detach()
    keep_gate = {"gate": post["gate"]} if "gate" in post else {}
    lhs = dynamics.kl(post, _detached(prior)).mean()
    rhs = dynamics.kl({**_detached(post), **keep_gate}, prior).mean()
    loss = (1 - balance) * lhs.clamp(min=free) + balance * rhs.clamp(min=free)
    return loss, lhs.detach()


def gate_sparsity_loss(gate_prob: torch.Tensor, kappa: float = 0.4, scale: float = 0.1,
                       free: float = 0.1) -> torch.Tensor:
    """VSG eq. 3: ``scale * max(mean_{B,T} sum_d KL(Bern(p) || Bern(kappa)), free)``."""
    p = gate_prob.clamp(1e-6, 1 - 1e-6)
    kl = p * torch.log(p / kappa) + (1 - p) * torch.log((1 - p) / (1 - kappa))
    return scale * kl.sum(-1).mean().clamp(min=free)
