"""Pixel TD3: the DynE paper's end-to-end pixel baseline (Whitney et al. 2020, §5.3, Fig. 5;
``../shared/specs/dyne.md`` §5, the release's rl/PixelTD3.py).

TD3 (:mod:`wmagents.agents.td3`, the 2018 schedule) on a conv encoder of the 4 latest frames
(12 channels; an episode's first frame repeated at its start, as the DynE pixel agents; the
spec does not say how many frames the release stacked): BatchNorm, conv 32 k8 s4, ReLU,
BatchNorm, conv 32 k4 s2, ReLU, BatchNorm, conv 32 k3 s1, ReLU -> 512 features at 64x64
(Kostrikov's "ilya_bn"). The encoder is shared by actor and critics and trained only through
the critic loss: the actor sees detached features. Actor BN-200-BN-200-BN-|A| (ReLU, box-scaled
tanh); critics 200-200 (ReLU) on ``concat(features, a repeated floor(512 / |A|) times)``; one
target encoder serves both target nets and is Polyak-averaged with them. Target networks run in
training mode (batch statistics, as the release never switched them); the online ones act in
eval mode. 1e4 uniform random steps; frames are stored once as uint8 and stacked on the fly.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from wmagents.agents.random_agent import random_action
from wmagents.agents.td3 import TD3
from wmagents.api import make_config
from wmagents.models.dyne_pixels import FRAMES, stacked
from wmagents.nn import (QEnsemble, frozen, fused_adam, optimizer_step, resolve_device,
                         soft_update)
from wmagents.nn.actor_critic import _BoxScaled
from wmagents.replay import ReplayBuffer


@dataclass
class PixelTD3Config:
    actor_lr: float = 1e-3                  # released code (PixelTD3.py): Adam's default lr
    critic_lr: float = 1e-3                 # released code: Adam's default lr
    gamma: float = 0.99                     # released code: discount
    tau: float = 0.005                      # released code: tau
    batch_size: int = 100                   # released code: batch 100
    hidden: tuple[int, ...] = (200, 200)    # released code: actor and critic 200-200
    channels: int = 32                      # released code: "ilya_bn" convs of 32 channels
    policy_noise: float = 0.2               # released code: target smoothing (x half-range)
    noise_clip: float = 0.5                 # released code: noise clip (x half-range)
    policy_delay: int = 2                   # released code: policy delay
    exploration_noise: float = 0.1          # released code: N(0, 0.1) (x half-range)
    random_steps: int = 10_000              # released code (main_pixel_td3.py): 1e4
    update_at_episode_end: bool = True      # released code: episode-length bursts
    replay_capacity: int = 100_000          # released code: replay 1e5 images


class FrameStackEncoder(nn.Module):
    """``(B, 64, 64, 12)`` uint8 stacks -> 512 features ("ilya_bn")."""

    def __init__(self, channels: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm2d(3 * FRAMES), nn.Conv2d(3 * FRAMES, channels, 8, 4), nn.ReLU(),
            nn.BatchNorm2d(channels), nn.Conv2d(channels, channels, 4, 2), nn.ReLU(),
            nn.BatchNorm2d(channels), nn.Conv2d(channels, channels, 3, 1), nn.ReLU(),
            nn.Flatten())
        self.out_dim = channels * 4 * 4

    def forward(self, stack: torch.Tensor) -> torch.Tensor:
        return self.net(stack.movedim(-1, 1).float() / 255.0)        # channels-last view


class BatchNormActor(_BoxScaled):
    """BN-200-BN-200-BN-|A| with ReLU, box-scaled tanh output."""

    def __init__(self, in_dim: int, hidden: tuple[int, ...], action_space: spaces.Box):
        super().__init__(action_space)
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.BatchNorm1d(in_dim), nn.Linear(in_dim, width), nn.ReLU()]
            in_dim = width
        self.net = nn.Sequential(*layers, nn.BatchNorm1d(in_dim),
                                 nn.Linear(in_dim, action_space.shape[0]))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.to_box(torch.tanh(self.net(features)))


@contextlib.contextmanager
def evaluating(*modules: nn.Module):
    """``modules`` in eval mode inside the block (BatchNorm uses its running statistics)."""
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m in modules:
            m.train()


class PixelTD3(TD3):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: PixelTD3Config | None = None, seed: int = 0, device: str = "auto"):
        if not (isinstance(observation_space, spaces.Box) and observation_space.shape == (64, 64, 3)
                and observation_space.dtype == np.uint8):
            raise ValueError(f"pixel TD3 takes 64x64x3 uint8 frames, got {observation_space}")
        if not isinstance(action_space, spaces.Box) or len(action_space.shape) != 1:
            raise ValueError(f"pixel TD3 needs a 1-D Box action space, got {action_space}")
        self.config = config = config or PixelTD3Config()
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, config.replay_capacity, seed)
        self.encoder = FrameStackEncoder(config.channels).to(self.device)
        features, size = self.encoder.out_dim, action_space.shape[0]
        self.action_repeat = max(1, features // size)
        self.actor = BatchNormActor(features, config.hidden, action_space).to(self.device)
        self.critic = QEnsemble(features + self.action_repeat * size, config.hidden, 1,
                                n=2).to(self.device)
        self.encoder_target, self.actor_target, self.critic_target = (
            copy.deepcopy(m).requires_grad_(False) for m in (self.encoder, self.actor,
                                                              self.critic))
        self.target_noise = config.policy_noise * self.actor.scale
        self.target_noise_clip = config.noise_clip * self.actor.scale
        self.actor_optimizer = fused_adam(self.actor.parameters(), lr=config.actor_lr)
        self.critic_optimizer = fused_adam([*self.encoder.parameters(),
                                            *self.critic.parameters()], lr=config.critic_lr)

    def act(self, obs, state, explore: bool):
        frames = (obs,) * FRAMES if state is None else state[1:] + (obs,)
        if explore and self.replay.transitions < self.config.random_steps:
            return random_action(self.action_space, self.rng), frames
        stack = torch.as_tensor(np.concatenate(frames, -1)[None], device=self.device)
        with torch.no_grad(), evaluating(self.encoder, self.actor):
            action = self.actor(self.encoder(stack))[0].cpu().numpy()
        return (self.exploring(action) if explore
                else action.astype(self.action_space.dtype)), frames

    def sample_batch(self) -> dict[str, torch.Tensor]:
        slots = self.replay.sample_slots(self.config.batch_size)
        r = self.replay
        batch = {"obs": stacked(r, slots), "next_obs": stacked(r, (slots + 1) % r.capacity),
                 "action": r.action[slots], "reward": r.reward[slots],
                 "terminated": r.terminated[slots].astype(np.float32)}
        return {k: torch.as_tensor(v, device=self.device) for k, v in batch.items()}

    def update(self, b: dict[str, torch.Tensor], update_actor: bool) -> dict[str, float]:
        config = self.config
        with torch.no_grad():
            next_features = self.encoder_target(b["next_obs"])
            next_action = self.smoothed_target_action(next_features)
            next_q = self.q(self.critic_target, next_features, next_action).min(0).values
            target = b["reward"] + config.gamma * (1 - b["terminated"]) * next_q
        features = self.encoder(b["obs"])
        q = self.q(self.critic, features, b["action"].float())
        metrics = {"critic_loss": optimizer_step(
            self.critic_optimizer, F.mse_loss(q[0], target) + F.mse_loss(q[1], target))}
        if update_actor:                      # the actor sees detached features (release)
            features = features.detach()
            with frozen(self.critic):
                q1 = self.critic.members[0](self.critic_input(features, self.actor(features)))
                metrics["actor_loss"] = optimizer_step(self.actor_optimizer, -q1.mean())
            for target, online in ((self.encoder_target, self.encoder),
                                   (self.critic_target, self.critic),
                                   (self.actor_target, self.actor)):
                soft_update(target, online, config.tau)
        return metrics

    def _parts(self) -> dict:
        return {**super()._parts(), "encoder": self.encoder,
                "encoder_target": self.encoder_target}


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return PixelTD3(observation_space, action_space, make_config(PixelTD3Config, overrides),
                    seed=seed, device=device)
