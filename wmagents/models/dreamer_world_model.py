"""The world model of Dreamer V1/V2, VSG and SVSG: encoder, latent dynamics, image decoder and
reward (and, optionally, discount) heads, trained on sequence chunks.

Loss per chunk (DreamerV1 Sec. 3 / DreamerV2 eq. 2 / VSG eq. 3), unit-variance Gaussians for
image and reward, so log-likelihoods are ``-0.5 * squared error`` up to constants::

    L = E[sum_pixels 0.5 (x_t - x^_t)^2] + reward_scale E[0.5 (r_t - r^_t)^2]
        + E[BCE(d^_t, gamma (1 - terminal_t))]        (only with a discount head)
        + KL term (free nats; KL balancing in V2/VSG)  + VSG gate sparsity (eq. 3)

Chunk layout (the replay's, as PlaNet's): ``obs (B, T)``, ``action (B, T - 1)``, ``reward``
and ``terminated`` ``(B, T - 1)``; row ``t = 0`` is filtered from the zero state with a zero
action (DreamerV2's ``is_first``), and ``reward[:, t]`` is predicted from the state at
``t + 1``: the reward head ``r(s_t)`` predicts the reward for arriving in ``s_t``.
Images are ``x / 255 - 0.5`` (:func:`~wmagents.models.planet_nets.normalise_image`), the same
transform when acting.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from wmagents.models.dreamer_rssm import LatentDynamics, State, gate_sparsity_loss, kl_loss
from wmagents.models.planet_nets import (ConvDecoder, ConvEncoder, VectorEncoder,
                                         normalise_image, reward_head, vector_decoder)
from wmagents.models.world_model import filter_sequence

ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU}


class DreamerWorldModel(nn.Module):
    def __init__(self, observation_space: spaces.Box, action_dim: int, config):
        super().__init__()
        self.config = config
        shape = observation_space.shape
        self.pixels = len(shape) == 3
        activation = ACTIVATIONS[config.activation]
        if self.pixels:
            if shape[:2] != (64, 64):
                raise ValueError(f"Dreamer's conv encoder takes 64x64 images, got {shape}")
            self.encoder = ConvEncoder(shape[2], config.cnn_depth, activation)
        elif len(shape) == 1:
            self.encoder = VectorEncoder(shape[0], config.head_units, config.head_units)
        else:
            raise ValueError(f"observations must be HxWxC images or vectors, got {shape}")
        self.dynamics = LatentDynamics(action_dim, self.encoder.embed_dim, config.dynamics())
        features = self.dynamics.feature_dim
        self.decoder = (ConvDecoder(features, shape[2], config.cnn_depth, activation)
                        if self.pixels else vector_decoder(features, shape[0], config.head_units))
        self.reward = reward_head(features, config.head_units, config.reward_layers, nn.ELU)
        self.discount = (reward_head(features, config.head_units, config.discount_layers, nn.ELU)
                         if config.discount_layers else None)

    def preprocess(self, obs: torch.Tensor) -> torch.Tensor:
        return normalise_image(obs) if self.pixels else obs.float()

    def filter(self, state: State, action: torch.Tensor, obs: torch.Tensor) -> State:
        """One posterior step on a raw observation (acting)."""
        return self.dynamics.obs_step(state, action, self.encoder(self.preprocess(obs)))[1]

    def observe(self, target: torch.Tensor, actions: torch.Tensor) -> tuple[State, State]:
        """Posterior and prior sequences ``(B, T)`` of preprocessed ``target (B, T, ...)``."""
        return filter_sequence(self.dynamics.obs_step,
                               self.dynamics.initial(target.shape[0], target.device),
                               self.encoder(target), actions)

    def predicted_discount(self, features: torch.Tensor) -> torch.Tensor:
        """The discount head's mean, or the constant gamma without one."""
        if self.discount is None:
            return torch.full(features.shape[:-1], self.config.discount, device=features.device)
        return torch.sigmoid(self.discount(features))

    def loss(self, obs: torch.Tensor, action: torch.Tensor, reward: torch.Tensor,
             terminated: torch.Tensor) -> tuple[torch.Tensor, State, dict[str, float]]:
        """``(loss, posterior states (B, T), metrics)``."""
        c = self.config
        target = self.preprocess(obs)
        actions = torch.cat([torch.zeros_like(action[:, :1]), action], 1)
        post, prior = self.observe(target, actions)
        features = self.dynamics.features(post)
        image_loss = 0.5 * (self.decoder(features) - target).pow(2).flatten(2).sum(-1).mean()
        reward_loss = 0.5 * (self.reward(features[:, 1:]) - reward).pow(2).mean()
        kl, kl_value = kl_loss(self.dynamics, post, prior, c.kl_balance, c.kl_free)
        total = image_loss + c.reward_scale * reward_loss + kl
        metrics = {"image_loss": image_loss.item(), "reward_loss": reward_loss.item(),
                   "kl": kl_value.item()}
        if self.discount is not None:
            discount_target = c.discount * (1 - terminated.float())
            discount_loss = F.binary_cross_entropy_with_logits(self.discount(features[:, 1:]),
                                                               discount_target)
            total = total + discount_loss
            metrics["discount_loss"] = discount_loss.item()
        if c.gate_sparsity_scale:
            sparsity = gate_sparsity_loss(post["gate_prob"], c.gate_kappa,
                                          c.gate_sparsity_scale, c.gate_free)
            total = total + sparsity
            metrics.update(sparsity_loss=sparsity.item(),
                           gate_open=post["gate_prob"].mean().item())
        metrics["model_loss"] = total.item()
        return total, post, metrics
