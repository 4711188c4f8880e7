"""Soft Actor-Critic for continuous actions with automatic entropy tuning.

Haarnoja et al., "Soft Actor-Critic Algorithms and Applications" (2018, arXiv:1812.05905):
critics regress on ``r + gamma (1 - terminated) (min_i Q'_i(s', a') - alpha log pi(a'|s'))``
(eq. 5 with clipped double Q), the actor minimises ``E[alpha log pi(a|s) - min_i Q_i(s, a)]``
(eq. 7) through a tanh-squashed Gaussian (appendix C, eq. 21), and alpha follows eq. 18 towards
the target entropy ``-dim(A)``. Truncated steps bootstrap; terminated ones do not.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces

from wmagents.agents.off_policy import OffPolicyAgent, TwinQ
from wmagents.nn import mlp, soft_update

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0  # the clamp of the authors' softlearning code


@dataclass
class SACConfig:
    """Defaults: Haarnoja et al. 2018b, Table 1 (shared SAC hyper-parameters)."""

    lr: float = 3e-4                       # Table 1: learning rate (Adam), all networks
    gamma: float = 0.99                    # Table 1: discount
    replay_capacity: int = 1_000_000       # Table 1: replay buffer size
    hidden: tuple[int, ...] = (256, 256)   # Table 1: 2 hidden layers x 256 units
    batch_size: int = 256                  # Table 1: samples per minibatch
    tau: float = 0.005                     # Table 1: target smoothing coefficient
    updates_per_step: int = 1              # Table 1: gradient steps per env step
    updates_per_episode: int = 0
    init_alpha: float = 1.0                # softlearning's initial temperature
    autotune_alpha: bool = True            # section 5: automatic entropy adjustment
    target_entropy_scale: float = 1.0      # target entropy = -scale * dim(A) (section 5)
    learning_starts: int = 5_000           # not in Table 1: uniform random steps first (our choice)


class SAC(OffPolicyAgent):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: SACConfig | None = None, seed: int = 0, device: str = "auto"):
        if not isinstance(action_space, spaces.Box) or len(action_space.shape) != 1:
            raise ValueError(f"SAC needs a 1-D Box action space, got {action_space}")
        config = config or SACConfig()
        super().__init__(observation_space, action_space, config, seed, device)
        act_dim = action_space.shape[0]
        self.target_entropy = -config.target_entropy_scale * act_dim
        low, high = (torch.as_tensor(b, dtype=torch.float32, device=self.device)
                     for b in (action_space.low, action_space.high))
        self.action_scale, self.action_bias = (high - low) / 2, (high + low) / 2
        self.actor = mlp(self.obs_dim, config.hidden, 2 * act_dim).to(self.device)
        self.critic = TwinQ(self.obs_dim + act_dim, config.hidden, 1).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.nets.update(actor=self.actor, critic=self.critic, critic_target=self.critic_target)
        self.optimizers.update(actor=torch.optim.Adam(self.actor.parameters(), lr=config.lr),
                               critic=torch.optim.Adam(self.critic.parameters(), lr=config.lr))

    def _sample(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised squashed sample and its log-probability (eq. 21)."""
        mean, log_std = self.actor(obs).chunk(2, dim=-1)
        std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX).exp()
        u = mean + std * torch.randn_like(mean)
        a = torch.tanh(u)
        log_prob = torch.distributions.Normal(mean, std).log_prob(u) \
            - torch.log(self.action_scale * (1 - a.pow(2)) + 1e-6)
        return a * self.action_scale + self.action_bias, log_prob.sum(-1)

    def _q(self, critic, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return critic(torch.cat([obs, action], -1)).squeeze(-1)

    def _policy(self, obs: torch.Tensor, explore: bool) -> np.ndarray:
        if explore:
            action = self._sample(obs)[0]
        else:
            action = torch.tanh(self.actor(obs).chunk(2, dim=-1)[0]) * self.action_scale \
                + self.action_bias
        return action[0].cpu().numpy().astype(self.action_space.dtype)

    def _update(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        alpha, gamma = self.alpha, self.config.gamma
        with torch.no_grad():
            next_action, next_log_prob = self._sample(b["next_obs"])
            next_q = self._q(self.critic_target, b["next_obs"], next_action).min(0).values
            target = b["reward"] + gamma * (1 - b["terminated"]) * (next_q - alpha * next_log_prob)
        q = self._q(self.critic, b["obs"], b["action"].float())
        critic_loss = self._step(self.optimizers["critic"],
                                 F.mse_loss(q[0], target) + F.mse_loss(q[1], target))
        action, log_prob = self._sample(b["obs"])
        q_pi = self._q(self.critic, b["obs"], action).min(0).values
        actor_loss = self._step(self.optimizers["actor"], (alpha * log_prob - q_pi).mean())
        alpha_value = self._alpha_step(-log_prob, self.target_entropy)
        soft_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss, "actor_loss": actor_loss, "alpha": alpha_value,
                "entropy": -log_prob.mean().item()}
