"""TD3: Twin Delayed Deep Deterministic policy gradient (Fujimoto et al. 2018, arXiv:1802.09477).

Algorithm 1 of the paper, as its 2018 code (sfujim/TD3@c717e75) runs it:

* clipped double Q — critics regress on ``y = r + gamma (1 - terminated) min_i Q'_i(s', a~')``;
* target policy smoothing — ``a~' = clip(pi'(s') + clip(eps, -c, c), low, high)``,
  ``eps ~ N(0, sigma~^2)`` (sigma~ 0.2, c 0.5);
* delayed policy updates — the actor (on ``Q_1`` only) and both Polyak targets every
  ``policy_delay``-th critic update.

Exploration adds ``N(0, 0.1^2)`` to ``pi(s)`` and clips to the box; the first ``random_steps``
actions are uniform. The 2018 code trains at each episode end for as many critic updates as the
episode had steps (``update_at_episode_end``), restarting the delay count there; set it False
for one update per env step after ``random_steps`` (the 2019+ code). Noise scales are relative
to the box's half-range (the same numbers on the +-1 boxes of the paper's tasks).
Truncated steps bootstrap; terminated ones do not. ``critic_action_repeat`` feeds the critics
``concat(s, a, ..., a)`` with ``r = max(1, floor(|s| / (2 |a|)))`` copies of the action (the
TD3 baseline of the DynE release, DAE:rl/TD3.py; not in sfujim's code).
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
from wmagents.nn import (Checkpointed, DeterministicActor, QEnsemble, frozen, fused_adam,
                         obs_tensor, optimizer_step, require_vector_box, resolve_device,
                         soft_update, torch_batch)
from wmagents.replay import ReplayBuffer


@dataclass
class TD3Config:
    actor_lr: float = 1e-3                  # 2018 code (TD3@c717e75): Adam's default lr
    critic_lr: float = 1e-3                 # 2018 code: Adam's default lr
    gamma: float = 0.99                     # paper Sec. 6.1 / App. C: discount
    tau: float = 0.005                      # App. C: target update rate
    batch_size: int = 100                   # App. C: mini-batch 100
    hidden: tuple[int, ...] = (400, 300)    # App. C: 400-300 ReLU, actor and critics
    policy_noise: float = 0.2               # Sec. 5.3: target smoothing sigma~ (x half-range)
    noise_clip: float = 0.5                 # Sec. 5.3: c (x half-range)
    policy_delay: int = 2                   # Sec. 5.2: d
    exploration_noise: float = 0.1          # Sec. 6.1: N(0, 0.1) (x half-range)
    random_steps: int = 10_000              # App. C: 10^4 random steps (10^3 Hopper, Walker2d)
    update_at_episode_end: bool = True      # 2018 code main.py: episode-length bursts
    replay_capacity: int = 1_000_000        # App. C: replay 10^6
    critic_action_repeat: bool = False      # DynE's released code (rl/TD3.py): a x r


class TD3(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: TD3Config | None = None, seed: int = 0, device: str = "auto",
                 critic_action_space: spaces.Box | None = None):
        """``critic_action_space`` (default ``action_space``): what the replay stores and the
        critics take as the action (DynE-TD3: the latent and the plan step)."""
        require_vector_box("TD3", observation_space, action_space)
        self.config = config = config or TD3Config()
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.critic_action_space = critic_action_space = critic_action_space or action_space
        self.replay = ReplayBuffer(observation_space, critic_action_space,
                                   config.replay_capacity, seed)
        obs_dim, act_dim = observation_space.shape[0], critic_action_space.shape[0]
        self.action_repeat = max(1, obs_dim // (2 * act_dim)) if config.critic_action_repeat else 1
        self.actor = DeterministicActor(obs_dim, config.hidden, action_space).to(self.device)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.target_noise = config.policy_noise * self.actor.scale
        self.target_noise_clip = config.noise_clip * self.actor.scale
        self.critic = QEnsemble(obs_dim + self.action_repeat * act_dim, config.hidden, 1,
                                n=2).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_optimizer = fused_adam(self.actor.parameters(), lr=config.actor_lr)
        self.critic_optimizer = fused_adam(self.critic.parameters(), lr=config.critic_lr)

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < self.config.random_steps:
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            action = self.actor(obs_tensor(obs, self.device))[0].cpu().numpy()
        return (self.exploring(action) if explore
                else action.astype(self.action_space.dtype)), state

    def exploring(self, action: np.ndarray) -> np.ndarray:
        """``clip(action + N(0, sigma^2) x half-range, low, high)`` in the box's dtype."""
        half_range = self.actor.scale.cpu().numpy()
        noise = self.rng.normal(0.0, self.config.exploration_noise, action.shape)
        action = np.clip(action + noise * half_range, self.action_space.low,
                         self.action_space.high)
        return action.astype(self.action_space.dtype)

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        config = self.config
        if config.update_at_episode_end:                 # one burst of episode-length updates,
            last = (self.replay.head - 1) % self.replay.capacity   # the delay count restarted
            indices = range(int(self.replay.step[last]) if transition.episode_end else 0)
        else:
            indices = [self.replay.transitions] * (self.replay.transitions > config.random_steps)
        metrics: dict[str, float] = {}
        for it in indices:
            metrics = self.update(self.sample_batch(), update_actor=it % config.policy_delay == 0)
        return metrics

    def sample_batch(self) -> dict[str, torch.Tensor]:
        return torch_batch(self.replay.sample(self.config.batch_size), self.device)

    def critic_input(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return torch.cat([obs] + [action] * self.action_repeat, -1)

    def q(self, critic: QEnsemble, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return critic(self.critic_input(obs, action)).squeeze(-1)

    def policy_critic_action(self, obs: torch.Tensor) -> torch.Tensor:
        """The critic's action input for the current policy at ``obs`` (the actor loss)."""
        return self.actor(obs)

    def smoothed_target_action(self, next_obs: torch.Tensor) -> torch.Tensor:
        """Target policy smoothing: ``clip(pi'(s') + clip(eps, -c, c), low, high)``."""
        scale, centre = self.actor.scale, self.actor.bias
        action = self.actor_target(next_obs)
        noise = (torch.randn_like(action) * self.target_noise).clamp(
            -self.target_noise_clip, self.target_noise_clip)
        return (action + noise).clamp(centre - scale, centre + scale)

    def td_target(self, b: dict[str, torch.Tensor]) -> torch.Tensor:
        """Clipped double Q: ``r + gamma (1 - terminated) min_i Q'_i(s', a~')``."""
        next_action = self.smoothed_target_action(b["next_obs"])
        next_q = self.q(self.critic_target, b["next_obs"], next_action).min(0).values
        return b["reward"] + self.config.gamma * (1 - b["terminated"]) * next_q

    def update(self, b: dict[str, torch.Tensor], update_actor: bool) -> dict[str, float]:
        config = self.config
        with torch.no_grad():
            target = self.td_target(b)
        q = self.q(self.critic, b["obs"], b["action"].float())
        metrics = {"critic_loss": optimizer_step(
            self.critic_optimizer, F.mse_loss(q[0], target) + F.mse_loss(q[1], target))}
        if update_actor:                                          # delayed policy update
            with frozen(self.critic):
                q1 = self.critic.members[0](
                    self.critic_input(b["obs"], self.policy_critic_action(b["obs"])))
                metrics["actor_loss"] = optimizer_step(self.actor_optimizer, -q1.mean())
            soft_update(self.critic_target, self.critic, config.tau)
            soft_update(self.actor_target, self.actor, config.tau)
        return metrics

    def _parts(self) -> dict:
        return {"actor": self.actor, "actor_target": self.actor_target, "critic": self.critic,
                "critic_target": self.critic_target, "actor_optimizer": self.actor_optimizer,
                "critic_optimizer": self.critic_optimizer, "replay": self.replay,
                "rng": self.rng}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    return TD3(observation_space, action_space, make_config(TD3Config, overrides),
               seed=seed, device=device)
