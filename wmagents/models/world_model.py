"""PlaNet's world model: encoder, transition model, observation decoder and reward head
trained on sequence chunks with the variational bound and latent overshooting.

Loss per chunk (Hafner et al. 2019, eq. 3 and eq. 7, fixed unit-variance Gaussians for image
and reward, so log-likelihoods are ``-0.5 * squared error`` up to constants)::

    L = E[ sum_pixels 0.5 (o_t - o^_t)^2 ] + E[ 0.5 (r_t - r^_t)^2 ]
        + 1/D sum_{d=1..D} beta_d E[ max(free_nats, KL(q(s_t) || p(s_t | s_{t-d}))) ]

``p(s_t | s_{t-1})`` for ``d = 1`` is the usual one-step prior and trains both sides; for
``d > 1`` the prior is rolled ``d`` steps open loop from the posterior at ``t - d`` and the
posterior target is detached ("stop gradient", Sec. 4), so multi-step predictions move
towards the informed posteriors, never the reverse. Free nats are applied to each
(chunk, time) KL before averaging, with ``clamp``'s zero gradient below the threshold.
Chunk layout (the replay's): ``obs (B, L+1)``, ``action (B, L)``, ``reward (B, L)``; step
``t = 0`` is filtered from the zero state with a zero action, and ``reward[:, t]`` is predicted
from the state at ``t + 1`` (the reward for reaching it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from gymnasium import spaces
from torch import nn

from wmagents.models.planet_nets import (ConvDecoder, ConvEncoder, VectorEncoder,
                                         preprocess_image, reward_head, vector_decoder)
from wmagents.models.rssm import LatentSizes, State, make_transition_model


@dataclass(frozen=True)
class WorldModelConfig:
    model: str = "rssm"                 # PlaNet Sec. 3: rssm | ssm | rnn
    sizes: LatentSizes = LatentSizes()  # PlaNet App. A: GRU 200, stochastic 30, layers 200
    free_nats: float = 3.0              # PlaNet App. A: 3 free nats
    overshooting_distance: int = 1      # PlaNet Sec. 4: D; 1 = the standard bound (RSSM default)
    overshooting_weights: tuple[float, ...] = ()   # PlaNet Sec. 4: beta_1..beta_D; empty = all 1
    bit_depth: int = 5                  # PlaNet App. A: 5-bit images
    cnn_depth: int = 32                 # PlaNet App. A: encoder channels 32/64/128/256
    reward_hidden: int = 300            # released PlaNet code: reward head units 300
    reward_layers: int = 3              # released PlaNet code: reward head hidden layers 3

    def __post_init__(self):
        if self.overshooting_distance < 1:
            raise ValueError(f"overshooting_distance must be >= 1, got {self.overshooting_distance}")
        if self.overshooting_weights and len(self.overshooting_weights) != self.overshooting_distance:
            raise ValueError(f"overshooting_weights needs {self.overshooting_distance} values, "
                             f"got {len(self.overshooting_weights)}")

    @property
    def betas(self) -> tuple[float, ...]:
        return self.overshooting_weights or (1.0,) * self.overshooting_distance


def stack_states(states: list[State], dim: int = 1) -> State:
    return {k: torch.stack([s[k] for s in states], dim) for k in states[0]}


def filter_sequence(step, initial: State, embed: torch.Tensor,
                    actions: torch.Tensor) -> tuple[State, State]:
    """Posterior and prior sequences ``(B, T)``: ``step(state, action, embed) -> (prior,
    posterior)`` applied along time from ``initial``."""
    state, priors, posts = initial, [], []
    for t in range(embed.shape[1]):
        prior, state = step(state, actions[:, t], embed[:, t])
        priors.append(prior)
        posts.append(state)
    return stack_states(posts), stack_states(priors)


def _detach(state: State) -> State:
    return {k: v.detach() for k, v in state.items()}


def _slice(state: State, index) -> State:
    return {k: v[index] for k, v in state.items()}


class WorldModel(nn.Module):
    def __init__(self, observation_space: spaces.Box, action_dim: int,
                 config: WorldModelConfig = WorldModelConfig()):
        super().__init__()
        self.config, self.action_dim = config, action_dim
        self.pixels = len(observation_space.shape) == 3
        if self.pixels:
            if observation_space.shape[:2] != (64, 64):
                raise ValueError(f"PlaNet's conv encoder takes 64x64 images, got {observation_space.shape}")
            self.encoder = ConvEncoder(observation_space.shape[2], config.cnn_depth)
        elif len(observation_space.shape) == 1:
            self.encoder = VectorEncoder(observation_space.shape[0], config.sizes.hidden)
        else:
            raise ValueError(f"observations must be HxWxC images or vectors, got {observation_space.shape}")
        self.transition = make_transition_model(config.model, action_dim, self.encoder.embed_dim,
                                                config.sizes)
        features = self.transition.feature_dim
        self.decoder = (ConvDecoder(features, observation_space.shape[2], config.cnn_depth)
                        if self.pixels else vector_decoder(features, observation_space.shape[0],
                                                           config.sizes.hidden))
        self.reward = reward_head(features, config.reward_hidden, config.reward_layers)

    def preprocess(self, obs: torch.Tensor, noise: bool = False) -> torch.Tensor:
        return preprocess_image(obs, self.config.bit_depth, noise) if self.pixels else obs.float()

    def filter(self, state: State, action: torch.Tensor, obs: torch.Tensor) -> State:
        """One posterior update with a raw observation ``obs`` (acting)."""
        return self.transition.posterior(state, action, self.encoder(self.preprocess(obs)))[1]

    def observe(self, target: torch.Tensor, actions: torch.Tensor) -> tuple[State, State]:
        """Posterior and prior sequences ``(B, T)`` for preprocessed ``target`` ``(B, T, ...)``
        and ``actions (B, T, A)`` (the action before each observation)."""
        return filter_sequence(self.transition.posterior,
                               self.transition.initial(target.shape[0], target.device),
                               self.encoder(target), actions)

    def loss(self, obs: torch.Tensor, action: torch.Tensor, reward: torch.Tensor):
        target = self.preprocess(obs, noise=True)
        actions = torch.cat([torch.zeros_like(action[:, :1]), action], 1)
        post, prior = self.observe(target, actions)
        features = self.transition.features(post)
        image = 0.5 * (self.decoder(features) - target).pow(2)
        image_loss = image.flatten(2).sum(-1).mean()
        reward_loss = 0.5 * (self.reward(features[:, 1:]) - reward).pow(2).mean()
        one_step = self.transition.kl(post, prior)                # the metric and KL_1
        kls = self.overshooting_kls(post, prior, actions, one_step)
        kl_loss = sum(b * k for b, k in zip(self.config.betas, kls)) / len(kls)
        total = image_loss + reward_loss + kl_loss
        metrics = {"loss": total.item(), "image_loss": image_loss.item(),
                   "reward_loss": reward_loss.item(), "kl": one_step.mean().item()}
        return total, metrics

    def overshooting_kls(self, post: State, prior: State, actions: torch.Tensor,
                         one_step: torch.Tensor | None = None) -> list[torch.Tensor]:
        """``[KL_1, ..., KL_D]``, each free-nats clipped per (chunk, time) and averaged.
        ``actions[:, t]`` is the action taken before observation ``t``; ``one_step``: the
        unclipped ``KL(post || prior)`` when the caller has it already."""
        free, steps = self.config.free_nats, actions.shape[1]
        one_step = self.transition.kl(post, prior) if one_step is None else one_step
        kls = [one_step.clamp(min=free).mean()]
        rolled = _slice(prior, (slice(None), slice(1, None)))   # from starts t = 0..T-2, d = 1
        for d in range(2, min(self.config.overshooting_distance, steps - 1) + 1):
            n = steps - d                                        # starts t = 0..T-1-d
            start = {k: v[:, :n].flatten(0, 1) for k, v in rolled.items()}
            step = self.transition.prior(start, actions[:, d:].flatten(0, 1))
            rolled = {k: v.view(-1, n, *v.shape[1:]) for k, v in step.items()}
            target = _detach(_slice(post, (slice(None), slice(d, None))))
            kls.append(self.transition.kl(target, rolled).clamp(min=free).mean())
        return kls

    @torch.no_grad()
    def imagine_returns(self, state: State, actions: torch.Tensor) -> torch.Tensor:
        """Sum of predicted rewards of ``actions (B, C, H, A)`` rolled open loop from the
        belief ``state`` (batch ``B``) -> ``(B, C)`` (the planner's objective)."""
        batch, candidates, horizon = actions.shape[:3]
        state = {k: v.repeat_interleave(candidates, 0) for k, v in state.items()}
        flat = actions.reshape(batch * candidates, horizon, -1)
        total = torch.zeros(batch * candidates, device=actions.device)
        for h in range(horizon):
            state = self.transition.prior(state, flat[:, h])
            total += self.reward(self.transition.features(state))
        return total.view(batch, candidates)
