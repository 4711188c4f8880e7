"""Dreamer's behaviour learning: an actor and a critic trained on imagined rollouts of the
world model (DreamerV1 Sec. 3, eq. 5-7; DreamerV2 Sec. 2.2, eq. 4-6; VSG eq. 4-5).

Starts are all posterior states of the training chunk, detached. The actor gradient is the
dynamics gradient: actions are reparameterised samples and flow through the frozen world model
into the returns. Returns, weights and which states score what: :mod:`imagination`.

Actors, on actions normalised to [-1, 1]:

* ``"tanh_normal"`` (DreamerV1): ``tanh(N(5 tanh(m / 5), softplus(s + softplus^-1(5)) + 1e-4))``;
  mode = the likeliest of 100 samples, chosen per batch element; training adds N(0, 0.3)
  exploration noise (clipped to [-1, 1]).
* ``"trunc_normal"`` (DreamerV2, VSG): a Normal(tanh(m), 2 sigmoid(s / 2) + 0.1) truncated to
  [-1, 1], reparameterised by the inverse CDF, samples clipped to +-(1 - 1e-6) with a
  straight-through gradient; analytic entropy; mode = the (clipped) mean.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from wmagents.models.dreamer_rssm import State
from wmagents.models.imagination import behaviour_targets
from wmagents.models.planet_nets import reward_head
from wmagents.nn import frozen, mlp

ACTORS = ("tanh_normal", "trunc_normal")
_SQRT2 = math.sqrt(2.0)


def _normal_cdf(x):
    return 0.5 * (1 + torch.erf(x / _SQRT2))


def _normal_pdf(x):
    return torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


class TruncatedNormal:
    """Normal(mean, std) truncated to [-1, 1]."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        self.mean, self.std = mean, std
        self.alpha, self.beta = (-1 - mean) / std, (1 - mean) / std
        self.cdf_alpha, self.cdf_beta = _normal_cdf(self.alpha), _normal_cdf(self.beta)
        self.mass = (self.cdf_beta - self.cdf_alpha).clamp(min=1e-8)

    def rsample(self) -> torch.Tensor:
        u = self.cdf_alpha + torch.rand_like(self.mean) * self.mass
        x = self.mean + self.std * _SQRT2 * torch.erfinv((2 * u - 1).clamp(-1 + 1e-7, 1 - 1e-7))
        clipped = x.clamp(-1 + 1e-6, 1 - 1e-6)
        return x + (clipped - x).detach()

    def mode(self) -> torch.Tensor:
        return self.mean.clamp(-1, 1)

    def entropy(self) -> torch.Tensor:
        """Summed over action dimensions."""
        a, b = self.alpha, self.beta
        per_dim = (torch.log(math.sqrt(2 * math.pi * math.e) * self.std * self.mass)
                   + (a * _normal_pdf(a) - b * _normal_pdf(b)) / (2 * self.mass))
        return per_dim.sum(-1)


class TanhNormal:
    """tanh of a diagonal Normal (DreamerV1's action distribution)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, mode_samples: int = 100):
        self.base = torch.distributions.Normal(mean, std)
        self.mode_samples = mode_samples

    def rsample(self) -> torch.Tensor:
        return torch.tanh(self.base.rsample())

    def log_prob(self, pre_tanh: torch.Tensor) -> torch.Tensor:
        correction = 2 * (math.log(2) - pre_tanh - F.softplus(-2 * pre_tanh))
        return (self.base.log_prob(pre_tanh) - correction).sum(-1)

    def mode(self) -> torch.Tensor:
        """The likeliest of ``mode_samples`` samples, per batch element."""
        samples = self.base.sample((self.mode_samples,))
        best = self.log_prob(samples).argmax(0)
        return torch.tanh(samples.gather(0, best[None, ..., None].expand_as(samples[:1]))[0])

    def entropy(self) -> torch.Tensor:
        """One-sample estimate ``-log p(a)`` (DreamerV1 uses no entropy term)."""
        pre_tanh = self.base.sample()
        return -self.log_prob(pre_tanh)


class Actor(nn.Module):
    def __init__(self, feature_dim: int, action_dim: int, kind: str, units: int, layers: int,
                 min_std: float = 0.1):
        super().__init__()
        if kind not in ACTORS:
            raise ValueError(f"actor={kind!r}; expected one of {ACTORS}")
        self.kind, self.min_std = kind, min_std
        self.net = mlp(feature_dim, (units,) * layers, 2 * action_dim, nn.ELU)

    def forward(self, features: torch.Tensor):
        mean, raw_std = self.net(features).float().chunk(2, -1)
        if self.kind == "tanh_normal":
            std = F.softplus(raw_std + math.log(math.expm1(5.0))) + 1e-4
            return TanhNormal(5 * torch.tanh(mean / 5), std)
        return TruncatedNormal(torch.tanh(mean), 2 * torch.sigmoid(raw_std / 2) + self.min_std)


class ActorCritic(nn.Module):
    """Actor, critic and (V2 / VSG) slow critic, each with its own Adam."""

    def __init__(self, feature_dim: int, action_dim: int, config):
        super().__init__()
        c = self.config = config
        self.actor = Actor(feature_dim, action_dim, c.actor, c.head_units, c.actor_layers)
        self.critic = reward_head(feature_dim, c.head_units, c.value_layers, nn.ELU)
        self.slow_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_optimizer = torch.optim.AdamW(self.actor.parameters(), c.actor_lr,
                                                 eps=c.adam_eps, weight_decay=c.weight_decay)
        self.critic_optimizer = torch.optim.AdamW(self.critic.parameters(), c.value_lr,
                                                  eps=c.adam_eps, weight_decay=c.weight_decay)
        self.updates = 0

    def imagine(self, world_model, start: State) -> tuple[torch.Tensor, torch.Tensor]:
        """Features ``(H + 1, N, F)`` of s_0..s_H from the detached ``start`` states and the
        policy entropy at each."""
        dynamics = world_model.dynamics
        state = {k: v.detach() for k, v in start.items()}
        features, entropies = [dynamics.features(state)], []
        for _ in range(self.config.horizon):
            policy = self.actor(features[-1].detach())
            entropies.append(policy.entropy())
            state = dynamics.img_step(state, policy.rsample())
            features.append(dynamics.features(state))
        entropies.append(self.actor(features[-1].detach()).entropy())
        return torch.stack(features), torch.stack(entropies)

    def update(self, world_model, start: State) -> dict[str, float]:
        c = self.config
        if c.slow_critic_every and self.updates % c.slow_critic_every == 0:
            self.slow_critic.load_state_dict(self.critic.state_dict())
        with frozen(world_model), frozen(self.critic):
            features, entropy = self.imagine(world_model, start)
            reward = world_model.reward(features)
            discount = world_model.predicted_discount(features)
            value_net = self.slow_critic if c.slow_critic_every else self.critic
            targets = behaviour_targets(c.alignment, reward, value_net(features), discount,
                                        entropy, c.lambda_, c.entropy_scale)
        actor_loss = -(targets.actor_weight * targets.actor_objective).mean()
        value = self.critic(features[targets.value_states].detach())
        value_loss = (targets.value_weight * 0.5 * (value - targets.value_target).pow(2)).mean()
        actor_norm = clipped_step(self.actor_optimizer, actor_loss, self.actor, c.grad_clip)
        value_norm = clipped_step(self.critic_optimizer, value_loss, self.critic, c.grad_clip)
        self.updates += 1
        return {"actor_loss": actor_loss.item(), "value_loss": value_loss.item(),
                "actor_entropy": entropy.mean().item(), "imagined_reward": reward.mean().item(),
                "actor_grad_norm": actor_norm, "value_grad_norm": value_norm}


def clipped_step(optimizer, loss: torch.Tensor, module: nn.Module, clip: float) -> float:
    """One step on ``loss`` with ``module``'s gradient norm clipped at ``clip``; returns the
    norm before clipping."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = float(torch.nn.utils.clip_grad_norm_(module.parameters(), clip))
    optimizer.step()
    return norm
