"""PlaNet: Deep Planning Network (Hafner et al. 2019, Algorithm 1).

Collect ``seed_episodes`` episodes with uniform random actions; after every collected episode
run ``updates_per_episode`` (C) model updates on ``batch_size`` x ``chunk_length`` sequence
chunks; act by filtering the belief ``q(s_t | o_<=t, a_<t)`` and planning with CEM in latent
space (candidates scored by the reward head summed over the horizon, belief reset to N(0, I)
at every decision), adding N(0, ``exploration_noise``) while collecting. Action repeat is the
ID's (``wmenvs/PlaNet-*``): one agent step is one decision, so the model and the planner work
at the repeated rate.
``bf16=True`` runs model updates and planning under bf16 autocast (matrix products and
convolutions in bf16, states and losses in fp32): 1.5x faster updates on an AMX CPU; off by
default, fp32 reproduces the paper's setting exactly.
Discrete action spaces (not in PlaNet) use one-hot actions, the categorical-logit CEM and
epsilon-random exploration with probability ``exploration_noise``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition, make_config
from wmagents.replay import ReplayBuffer
from wmagents.models.rssm import LatentSizes
from wmagents.models.world_model import WorldModel, WorldModelConfig
from wmagents.nn import bf16_autocast, resolve_device
from wmagents.planners.cem import CEMConfig, cem_categorical, cem_continuous


@dataclass
class PlaNetConfig:
    """Defaults: Hafner et al. 2019, "Learning Latent Dynamics for Planning from Pixels"
    (arXiv:1811.04551), Sec. 3-5 and Appendix A, as restated by the reproduction report and the
    released google-research/planet configuration."""

    model: str = "rssm"                  # Sec. 3: rssm | ssm | rnn; RSSM is PlaNet's model
    deter: int = 200                     # App. A: deterministic GRU state of 200 units
    stoch: int = 30                      # App. A: 30-dim diagonal Gaussian stochastic state
    hidden: int = 200                    # App. A: other fully connected layers, 200 ReLU units
    min_std: float = 0.1                 # released code: minimum std of the state Gaussians 0.1
    cnn_depth: int = 32                  # App. A: conv encoder 32/64/128/256 channels (k4, s2)
    reward_hidden: int = 300             # released code: reward head of 300-unit layers
    reward_layers: int = 3               # released code: reward head of 3 hidden layers
    bit_depth: int = 5                   # App. A: images quantised to 5 bits
    free_nats: float = 3.0               # App. A: 3 free nats on the KL
    overshooting_distance: int = 1       # Sec. 4: D; 1 = the standard bound, RSSM's default
    overshooting_weights: tuple[float, ...] = ()   # Sec. 4: beta_1..beta_D; empty = all 1
    lr: float = 1e-3                     # App. A: Adam learning rate 1e-3
    adam_eps: float = 1e-4               # App. A: Adam epsilon 1e-4
    grad_clip: float = 1000.0            # App. A: gradient norm clipped at 1000
    batch_size: int = 50                 # App. A: B = 50 sequence chunks
    chunk_length: int = 50               # App. A: L = 50 steps per chunk
    seed_episodes: int = 5               # Algorithm 1 / App. A: S = 5 random seed episodes
    updates_per_episode: int = 100       # Algorithm 1 / App. A: C = 100 updates per episode
    exploration_noise: float = 0.3       # App. A: exploration noise N(0, 0.3)
    horizon: int = 12                    # Sec. 3 planner: H = 12
    iterations: int = 10                 # Sec. 3 planner: I = 10
    candidates: int = 1000               # Sec. 3 planner: J = 1000
    top_k: int = 100                     # Sec. 3 planner: K = 100
    replay_capacity: int = 1_000_000     # our choice: every decision of a 1,000-episode run fits
    bf16: bool = False                   # our choice: opt-in bf16 autocast (CPU or CUDA), issue 19

    def world_model(self) -> WorldModelConfig:
        return WorldModelConfig(self.model, LatentSizes(self.deter, self.stoch, self.hidden,
                                                        self.min_std),
                                self.free_nats, self.overshooting_distance,
                                tuple(self.overshooting_weights), self.bit_depth, self.cnn_depth,
                                self.reward_hidden, self.reward_layers)


class PlaNet:
    def __init__(self, observation_space: spaces.Box, action_space: spaces.Space,
                 config: PlaNetConfig | None = None, seed: int = 0, device: str = "auto"):
        self.config = config = config or PlaNetConfig()
        self.discrete = isinstance(action_space, spaces.Discrete)
        if not self.discrete and not (isinstance(action_space, spaces.Box)
                                      and len(action_space.shape) == 1):
            raise ValueError(f"PlaNet needs a 1-D Box or a Discrete action space, got {action_space}")
        self.action_space = action_space
        self.device = resolve_device(device)
        self.action_dim = int(action_space.n) if self.discrete else action_space.shape[0]
        self.model = WorldModel(observation_space, self.action_dim, config.world_model()).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, eps=config.adam_eps)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.planner = CEMConfig(config.horizon, config.iterations, config.candidates, config.top_k)
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator(self.device).manual_seed(seed)
        if not self.discrete:
            self.low, self.high = (torch.as_tensor(b, dtype=torch.float32, device=self.device)
                                   for b in (action_space.low, action_space.high))
        self.episodes = 0          # finished training episodes

    # ------------------------------------------------------------------ acting
    def reset(self, explore: bool):
        return {"latent": self.model.transition.initial(1, self.device),
                "prev": torch.zeros(1, self.action_dim, device=self.device)}

    def _encode(self, action) -> torch.Tensor:
        a = torch.as_tensor(np.asarray(action), device=self.device)
        if self.discrete:
            return F.one_hot(a.long(), self.action_dim).float().reshape(-1, self.action_dim)
        return a.float().reshape(-1, self.action_dim)

    def act(self, obs, state, explore: bool):
        if explore and self.episodes < self.config.seed_episodes:
            action, latent = random_action(self.action_space, self.rng), state["latent"]
        else:
            with torch.no_grad(), bf16_autocast(self.config.bf16, self.device):
                obs_t = torch.as_tensor(np.asarray(obs), device=self.device)[None]
                latent = self.model.filter(state["latent"], state["prev"], obs_t)
                plan = self._plan(latent)
            action = self._explore(plan) if explore else plan
        return action, {"latent": latent, "prev": self._encode(action)}

    def _plan(self, latent):
        if self.discrete:
            def score(actions):
                return self.model.imagine_returns(latent, F.one_hot(actions, self.action_dim).float())
            plan = cem_categorical(score, 1, self.action_dim, self.planner, self.device, self.generator)
            return int(plan[0, 0])
        plan = cem_continuous(lambda actions: self.model.imagine_returns(latent, actions), 1,
                              self.low, self.high, self.planner, self.generator)
        return plan[0, 0].cpu().numpy()

    def _explore(self, action):
        noise = self.config.exploration_noise
        if self.discrete:
            return random_action(self.action_space, self.rng) if self.rng.random() < noise else action
        noisy = action + noise * self.rng.standard_normal(action.shape)
        return np.clip(noisy, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)

    # ------------------------------------------------------------------ learning
    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        if not transition.episode_end:
            return {}
        self.episodes += 1
        if self.episodes < self.config.seed_episodes:
            return {}
        metrics = [self.update() for _ in range(self.config.updates_per_episode)]
        return {k: float(np.mean([m[k] for m in metrics])) for k in metrics[0]} if metrics else {}

    def update(self) -> dict[str, float]:
        batch = self.replay.sample_sequences(self.config.batch_size, self.config.chunk_length)
        obs = torch.as_tensor(batch["obs"], device=self.device)
        action = self._encode(batch["action"].reshape(-1, *batch["action"].shape[2:]))
        action = action.view(*batch["action"].shape[:2], self.action_dim)
        reward = torch.as_tensor(batch["reward"], device=self.device)
        with bf16_autocast(self.config.bf16, self.device):
            loss, metrics = self.model.loss(obs, action, reward)
        self.optimizer.zero_grad()
        loss.backward()
        metrics["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(),
                                                                    self.config.grad_clip))
        self.optimizer.step()
        return metrics

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "replay": self.replay.state_dict(), "rng": self.rng.bit_generator.state,
                "generator": self.generator.get_state(), "episodes": self.episodes}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.replay.load_state_dict(state["replay"])
        self.rng.bit_generator.state = state["rng"]
        self.generator.set_state(state["generator"])
        self.episodes = state["episodes"]


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return PlaNet(observation_space, action_space, make_config(PlaNetConfig, overrides),
                  seed=seed, device=device)
