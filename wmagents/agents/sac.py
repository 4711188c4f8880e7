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

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition, make_config
from wmagents.nn import (Checkpointed, QEnsemble, TanhGaussianActor, Temperature, UpdateSchedule,
                         frozen, fused_adam, obs_tensor, optimizer_step, require_vector_box,
                         resolve_device, soft_update, torch_batch)
from wmagents.replay import ReplayBuffer


@dataclass
class SACConfig:
    lr: float = 3e-4                       # Haarnoja 2018b Table 1: Adam learning rate, all nets
    gamma: float = 0.99                    # Table 1: discount
    replay_capacity: int = 1_000_000       # Table 1: replay buffer size
    hidden: tuple[int, ...] = (256, 256)   # Table 1: 2 hidden layers x 256 units
    batch_size: int = 256                  # Table 1: samples per minibatch
    tau: float = 0.005                     # Table 1: target smoothing coefficient
    updates_per_step: int = 1              # Table 1: gradient steps per env step
    updates_per_episode: int = 0           # our choice: no episode-end updates (Table 1 has none)
    init_alpha: float = 1.0                # softlearning code: initial temperature 1
    autotune_alpha: bool = True            # Sec. 5: automatic entropy adjustment
    target_entropy_scale: float = 1.0      # Sec. 5: target entropy = -scale * dim(A), scale 1
    learning_starts: int = 5_000           # our choice: uniform random steps first (not in Table 1)


class SAC(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: SACConfig | None = None, seed: int = 0, device: str = "auto"):
        require_vector_box("SAC", observation_space, action_space)
        self.config = config = config or SACConfig()
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.schedule = UpdateSchedule(config.learning_starts, config.updates_per_step,
                                       config.updates_per_episode)
        self.temperature = Temperature(config.init_alpha, config.autotune_alpha, config.lr,
                                       self.device)
        self.target_entropy = -config.target_entropy_scale * action_space.shape[0]
        obs_dim, act_dim = observation_space.shape[0], action_space.shape[0]
        self.actor = TanhGaussianActor(obs_dim, config.hidden, action_space).to(self.device)
        self.critic = self.make_critic(obs_dim + act_dim).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_optimizer = fused_adam(self.actor.parameters(), lr=config.lr)
        self.critic_optimizer = fused_adam(self.critic.parameters(), lr=config.lr)

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < self.config.learning_starts:
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            x = obs_tensor(obs, self.device)
            action = self.actor.sample(x)[0] if explore else self.actor.mode(x)
        return action[0].cpu().numpy().astype(self.action_space.dtype), state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        metrics: dict[str, float] = {}
        for _ in range(self.schedule.updates(self.replay.transitions, transition.episode_end)):
            metrics = self.update(torch_batch(self.replay.sample(self.config.batch_size),
                                              self.device))
        return metrics

    def make_critic(self, in_dim: int):
        return QEnsemble(in_dim, self.config.hidden, 1, n=2)           # clipped double Q

    def q(self, critic, obs: torch.Tensor, action: torch.Tensor, members=None) -> torch.Tensor:
        x = torch.cat([obs, action], -1)
        return (critic(x) if members is None else critic(x, members)).squeeze(-1)

    def target_q(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The value the critics regress on before the entropy term: min of the twin targets."""
        return self.q(self.critic_target, obs, action).min(0).values

    def policy_q(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The value the actor ascends: min of the twin critics."""
        return self.q(self.critic, obs, action).min(0).values

    def update(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        return {**self.critic_update(b), **self.actor_update(b)}

    def critic_update(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        alpha, gamma = self.temperature.alpha, self.config.gamma
        with torch.no_grad():                                          # eq. 5 target
            next_action, next_log_prob = self.actor.sample(b["next_obs"])
            next_q = self.target_q(b["next_obs"], next_action)
            target = b["reward"] + gamma * (1 - b["terminated"]) * (next_q - alpha * next_log_prob)
        q = self.q(self.critic, b["obs"], b["action"].float())
        critic_loss = optimizer_step(self.critic_optimizer,
                                     F.mse_loss(q, target.expand_as(q)) * len(q))
        soft_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss}

    def actor_update(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        alpha = self.temperature.alpha
        action, log_prob = self.actor.sample(b["obs"])                 # eq. 7
        with frozen(self.critic):
            q_pi = self.policy_q(b["obs"], action)
            actor_loss = optimizer_step(self.actor_optimizer, (alpha * log_prob - q_pi).mean())
        alpha_value = self.temperature.update(-log_prob, self.target_entropy)   # eq. 18
        return {"actor_loss": actor_loss, "alpha": alpha_value,
                "entropy": -log_prob.mean().item()}

    def _parts(self) -> dict:
        return {"actor": self.actor, "critic": self.critic, "critic_target": self.critic_target,
                "actor_optimizer": self.actor_optimizer,
                "critic_optimizer": self.critic_optimizer, "temperature": self.temperature,
                "replay": self.replay, "rng": self.rng}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    return SAC(observation_space, action_space, make_config(SACConfig, overrides),
               seed=seed, device=device)
