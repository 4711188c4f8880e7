"""Soft Actor-Critic for discrete actions (Christodoulou 2019, arXiv:1910.07207).

With a categorical policy the expectations over actions are exact sums: the soft state value
is ``V(s) = pi(s)^T [min_i Q'_i(s) - alpha log pi(s)]`` (eq. 10), the actor minimises
``pi(s)^T [alpha log pi(s) - min_i Q_i(s)]`` (eq. 12) and the optional temperature loss is
``pi(s)^T [-alpha (log pi(s) + H_target)]`` (eq. 11). This is the SAC of Saanum & Schulz
(parsimonious dynamics, appendix A.6), whose hyper-parameters are the defaults below.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from gymnasium import spaces

from wmagents.agents.off_policy import OffPolicyAgent, TwinQ
from wmagents.nn import mlp, soft_update


@dataclass
class DiscreteSACConfig:
    """Defaults: Saanum & Schulz, appendix A.6 / A.5 (GridWorld and Torus settings)."""

    lr: float = 1e-4                       # A.6: Adam, learning rate 1e-4
    gamma: float = 0.99                    # not stated in the paper (our choice)
    replay_capacity: int = 1_000_000       # not stated; holds every step of the paper's runs
    hidden: tuple[int, ...] = (800, 800)   # A.5: actor and critic, 2 hidden layers x 800 ReLU
    batch_size: int = 150                  # A.6: 150 (GridWorld, Torus); 350 for FourRooms
    tau: float = 0.1                       # A.6: target smoothing constant 0.1
    updates_per_step: int = 0
    updates_per_episode: int = 15          # A.6 / Algorithm 1: M = 15 policy steps per episode
    init_alpha: float = 0.5                # A.6: fixed alpha = 0.5
    autotune_alpha: bool = False           # A.6 fixes alpha; Christodoulou tunes it (eq. 11)
    target_entropy_scale: float = 0.98     # Christodoulou: target entropy 0.98 * log|A|
    learning_starts: int = 0               # not stated; updates start once a batch fits


class DiscreteSAC(OffPolicyAgent):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: DiscreteSACConfig | None = None, seed: int = 0, device: str = "auto"):
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(f"DiscreteSAC needs a Discrete action space, got {action_space}")
        config = config or DiscreteSACConfig()
        config = replace(config, learning_starts=max(config.learning_starts, config.batch_size))
        super().__init__(observation_space, action_space, config, seed, device)
        n = int(action_space.n)
        self.target_entropy = config.target_entropy_scale * math.log(n)
        self.actor = mlp(self.obs_dim, config.hidden, n).to(self.device)
        self.critic = TwinQ(self.obs_dim, config.hidden, n).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.nets.update(actor=self.actor, critic=self.critic, critic_target=self.critic_target)
        self.optimizers.update(actor=torch.optim.Adam(self.actor.parameters(), lr=config.lr),
                               critic=torch.optim.Adam(self.critic.parameters(), lr=config.lr))

    def _policy(self, obs: torch.Tensor, explore: bool) -> int:
        logits = self.actor(obs)[0]
        if explore:
            return int(self.action_space.start + torch.multinomial(logits.softmax(-1), 1))
        return int(self.action_space.start + logits.argmax())

    def _update(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        alpha, gamma = self.alpha, self.config.gamma
        action = (b["action"] - self.action_space.start).long()
        with torch.no_grad():
            next_log_pi = F.log_softmax(self.actor(b["next_obs"]), -1)
            next_q = self.critic_target(b["next_obs"]).min(0).values
            next_v = (next_log_pi.exp() * (next_q - alpha * next_log_pi)).sum(-1)
            target = b["reward"] + gamma * (1 - b["terminated"]) * next_v
        q = self.critic(b["obs"]).gather(-1, action[None, :, None].expand(2, -1, 1)).squeeze(-1)
        critic_loss = self._step(self.optimizers["critic"],
                                 F.mse_loss(q[0], target) + F.mse_loss(q[1], target))
        log_pi = F.log_softmax(self.actor(b["obs"]), -1)
        pi = log_pi.exp()
        q_pi = self.critic(b["obs"]).min(0).values.detach()
        actor_loss = self._step(self.optimizers["actor"],
                                (pi * (alpha * log_pi - q_pi)).sum(-1).mean())
        entropy = -(pi * log_pi).sum(-1)
        alpha_value = self._alpha_step(entropy, self.target_entropy)
        soft_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss, "actor_loss": actor_loss, "alpha": alpha_value,
                "entropy": entropy.mean().item()}
