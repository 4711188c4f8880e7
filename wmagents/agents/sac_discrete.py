"""Soft Actor-Critic for discrete actions (Christodoulou 2019, arXiv:1910.07207).

With a categorical policy the expectations over actions are exact sums: the soft state value
is ``V(s) = pi(s)^T [min_i Q'_i(s) - alpha log pi(s)]`` (eq. 10), the actor minimises
``pi(s)^T [alpha log pi(s) - min_i Q_i(s)]`` (eq. 12) and the optional temperature loss is
``pi(s)^T [-alpha (log pi(s) + H_target)]`` (eq. 11). This is the SAC of Saanum & Schulz
("Learning Parsimonious Dynamics for Generalization in Reinforcement Learning",
, appendix A.6), whose hyper-parameters are the defaults below.
:class:`DiscreteSACLearner` is the networks and the update; the latent agent of
:mod:`wmagents.agents.parsimonious_sac` runs the same learner on encoded states.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition, make_config
from wmagents.nn import (Checkpointed, QEnsemble, Temperature, UpdateSchedule, mlp, obs_tensor,
                         optimizer_step, resolve_device, soft_update, torch_batch)
from wmagents.replay import ReplayBuffer


@dataclass
class DiscreteSACConfig:
    lr: float = 1e-4                       # Saanum & Schulz A.6: Adam, learning rate 1e-4
    gamma: float = 0.99                    # our choice: not stated in the paper
    replay_capacity: int = 1_000_000       # our choice: not stated; holds every step of the runs
    hidden: tuple[int, ...] = (800, 800)   # A.5: actor and critic, 2 hidden layers x 800 ReLU
    batch_size: int = 150                  # A.6: 150 (GridWorld, Torus); 350 for FourRooms
    tau: float = 0.1                       # A.6: target smoothing constant 0.1
    updates_per_step: int = 0              # Algorithm 1: no updates during an episode
    updates_per_episode: int = 15          # A.6 / Algorithm 1: M = 15 policy steps per episode
    init_alpha: float = 0.5                # A.6: fixed alpha = 0.5
    autotune_alpha: bool = False           # A.6 fixes alpha; Christodoulou tunes it (eq. 11)
    target_entropy_scale: float = 0.98     # Christodoulou Sec. 4: target entropy 0.98 * log|A|
    learning_starts: int = 0               # our choice: not stated; updates start once a batch fits


def warm_up(config) -> int:
    """Steps of uniform random actions and no updates: ``learning_starts``, and at least one
    batch (our choice; the paper does not say)."""
    return max(config.learning_starts, config.batch_size)


class DiscreteSACLearner:
    """Actor, twin critics, target critics and temperature over ``obs_dim`` inputs."""

    def __init__(self, obs_dim: int, n_actions: int, config, device: torch.device):
        self.config = config
        self.temperature = Temperature(config.init_alpha, config.autotune_alpha, config.lr, device)
        self.target_entropy = config.target_entropy_scale * math.log(n_actions)
        self.actor = mlp(obs_dim, config.hidden, n_actions).to(device)
        self.critic = QEnsemble(obs_dim, config.hidden, n_actions, n=2).to(device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=config.lr)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=config.lr)

    def policy(self, obs: torch.Tensor, explore: bool) -> int:
        """Index of a sampled (``explore``) or the most probable action for one ``obs``."""
        logits = self.actor(obs)[0]
        return int(torch.multinomial(logits.softmax(-1), 1) if explore else logits.argmax())

    def update(self, b: dict[str, torch.Tensor], action: torch.Tensor) -> dict[str, float]:
        """One step of eq. 10-12 on a batch; ``action`` holds indices ``0..n-1``."""
        alpha, gamma = self.temperature.alpha, self.config.gamma
        with torch.no_grad():                                          # eq. 10
            next_log_pi = F.log_softmax(self.actor(b["next_obs"]), -1)
            next_q = self.critic_target(b["next_obs"]).min(0).values
            next_v = (next_log_pi.exp() * (next_q - alpha * next_log_pi)).sum(-1)
            target = b["reward"] + gamma * (1 - b["terminated"]) * next_v
        q = self.critic(b["obs"]).gather(-1, action[None, :, None].expand(2, -1, 1)).squeeze(-1)
        critic_loss = optimizer_step(self.critic_optimizer,
                                     F.mse_loss(q[0], target) + F.mse_loss(q[1], target))
        log_pi = F.log_softmax(self.actor(b["obs"]), -1)               # eq. 12
        pi = log_pi.exp()
        q_pi = self.critic(b["obs"]).min(0).values.detach()
        actor_loss = optimizer_step(self.actor_optimizer,
                                    (pi * (alpha * log_pi - q_pi)).sum(-1).mean())
        entropy = -(pi * log_pi).sum(-1)
        alpha_value = self.temperature.update(entropy, self.target_entropy)   # eq. 11
        soft_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss, "actor_loss": actor_loss, "alpha": alpha_value,
                "entropy": entropy.mean().item()}

    def parts(self) -> dict:
        return {"actor": self.actor, "critic": self.critic, "critic_target": self.critic_target,
                "actor_optimizer": self.actor_optimizer,
                "critic_optimizer": self.critic_optimizer, "temperature": self.temperature}


class DiscreteSAC(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: DiscreteSACConfig | None = None, seed: int = 0, device: str = "auto"):
        if not (isinstance(observation_space, spaces.Box) and len(observation_space.shape) == 1):
            raise ValueError("DiscreteSAC takes flat vector observations (Box of rank 1), got "
                             f"{observation_space}")
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(f"DiscreteSAC needs a Discrete action space, got {action_space}")
        self.config = config = config or DiscreteSACConfig()
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.schedule = UpdateSchedule(warm_up(config), config.updates_per_step,
                                       config.updates_per_episode)
        self.sac = DiscreteSACLearner(observation_space.shape[0], int(action_space.n), config,
                                      self.device)

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < warm_up(self.config):
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            x = obs_tensor(obs, self.device)
            return int(self.action_space.start + self.sac.policy(x, explore)), state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        metrics: dict[str, float] = {}
        for _ in range(self.schedule.updates(self.replay.transitions, transition.episode_end)):
            b = torch_batch(self.replay.sample(self.config.batch_size), self.device)
            metrics = self.sac.update(b, (b["action"] - self.action_space.start).long())
        return metrics

    def _parts(self) -> dict:
        return {**self.sac.parts(), "replay": self.replay, "rng": self.rng}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    return DiscreteSAC(observation_space, action_space, make_config(DiscreteSACConfig, overrides),
                       seed=seed, device=device)
