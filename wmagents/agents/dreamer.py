"""Dreamer (Hafner et al. 2020, Algorithm 1) and DreamerV2 (Hafner et al. 2021): learn a world
model from replayed sequence chunks, learn an actor and a critic in its imagination, act with
the actor on the filtered latent state.

Loop, per agent step (one decision; the action repeat is the ID's, ``wmenvs/Dreamer-*``):
store the step; for the first ``prefill`` steps act uniformly at random; then, once, run
``pretrain`` updates, and afterwards ``train_steps`` updates every ``train_every`` steps. One
update = a world-model step on ``batch_size`` chunks of ``chunk_length`` rows, then an
actor-critic step imagined from all of that chunk's posterior states. Acting filters
``q(s_t | s_{t-1}, a_{t-1}, x_t)`` with the image normalised exactly as in training, samples the
actor while training (plus V1's exploration noise) and takes its mode in evaluation.

Presets (``preset=``; other overrides apply on top): ``dreamerv2`` (the defaults below: the
final DreamerV2 code's ``dmc_vision`` settings) and ``dreamerv1`` (DreamerV1's DMC settings).
Step-valued settings are agent steps at action repeat 2 (the originals count env steps).
VSG's presets are in :mod:`wmagents.agents.vsg`.

Chunks: an episode uniform among those holding a chunk, a start uniform inside it (the
originals' samplers). Deviations: fp32 by default; ``bf16=True`` runs updates and acting
under bf16 autocast on CPU or CUDA, states and losses in fp32 (the originals ran fp16 with
loss scaling); with a
discount head, DreamerV2's d_0 is the head's prediction, not the start's true terminal flag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition, make_config
from wmagents.models.dreamer_behaviour import ActorCritic, clipped_step
from wmagents.models.dreamer_rssm import DynamicsConfig
from wmagents.models.dreamer_world_model import DreamerWorldModel
from wmagents.nn import bf16_autocast, resolve_device
from wmagents.replay import ReplayBuffer


@dataclass
class DreamerConfig:
    """Defaults: DreamerV2 (danijar/dreamerv2 configs.yaml defaults + dmc_vision)."""

    preset: str = "dreamerv2"            # our choice: presets dreamerv2 | dreamerv1 (module docstring)
    deter: int = 200                     # DV2 released code, configs.yaml rssm.deter 200
    hidden: int = 200                    # DV2 released code, configs.yaml rssm.hidden 200
    stoch: int = 32                      # DV2 released code, configs.yaml rssm.stoch 32 (groups)
    classes: int = 32                    # DV2 released code, configs.yaml rssm.discrete 32
    cell: str = "ln_gru"                 # DV2 released code: GRU with LayerNorm (rssm.norm)
    std: str = "sigmoid2"                # DV2 released code, nets.py: std_act sigmoid2
    min_std: float = 0.1                 # DV2 released code, configs.yaml rssm.min_std 0.1
    stochastic_only: bool = False        # VSG eq. 6-8: SVSG only (wmagents.agents.vsg)
    cnn_depth: int = 48                  # DV2 released code, dmc_vision encoder.cnn_depth 48
    activation: str = "elu"              # DV2 released code, configs.yaml encoder/decoder act elu
    head_units: int = 400                # DV2 released code, configs.yaml heads: 400 units
    reward_layers: int = 4               # DV2 released code, configs.yaml reward_head.layers 4
    value_layers: int = 4                # DV2 released code, configs.yaml critic.layers 4
    actor_layers: int = 4                # DV2 released code, configs.yaml actor.layers 4
    discount_layers: int = 0             # DV2 released code, dmc_vision pred_discount False: no discount head
    kl_balance: float = 0.8              # DV2 released code, configs.yaml kl.balance 0.8 (0.5: unbalanced)
    kl_free: float = 1.0                 # DV2 released code, dmc_vision kl.free 1.0
    reward_scale: float = 1.0            # DV2 released code, loss_scales.reward 1.0
    gate_sparsity_scale: float = 0.0     # VSG eq. 3 alpha; 0 = no gates (DreamerV2)
    gate_kappa: float = 0.4              # VSG Sec. 3.1: prior gate probability 0.4
    gate_free: float = 0.1               # VSG released code, scripts: sparsity free nats 0.1
    model_lr: float = 3e-4               # DV2 released code, dmc_vision model_opt.lr 3e-4
    actor_lr: float = 8e-5               # DV2 released code, dmc_vision actor_opt.lr 8e-5
    value_lr: float = 8e-5               # DV2 released code, dmc_vision critic_opt.lr 8e-5
    adam_eps: float = 1e-5               # DV2 released code, configs.yaml *_opt.eps 1e-5
    grad_clip: float = 100.0             # DV2 released code, configs.yaml *_opt.clip 100
    weight_decay: float = 1e-6           # DV2 released code, configs.yaml *_opt.wd 1e-6 (decoupled: AdamW)
    actor: str = "trunc_normal"          # DV2 released code, dmc_vision actor.dist trunc_normal
    entropy_scale: float = 1e-4          # DV2 released code, dmc_vision actor_ent 1e-4
    exploration_noise: float = 0.0       # DV2 released code: none (DV1: 0.3)
    horizon: int = 15                    # DV2 released code, configs.yaml imag_horizon 15
    discount: float = 0.99               # DV2 released code, configs.yaml discount 0.99
    lambda_: float = 0.95                # DV2 released code, configs.yaml discount_lambda 0.95
    alignment: str = "v2"                # our choice: the code lineage's alignment, v1 | v2 | vsg (imagination.py)
    slow_critic_every: int = 100         # DV2 released code, configs.yaml slow_target_update 100 (0: none)
    batch_size: int = 16                 # DV2 released code, dmc_vision dataset.batch 16
    chunk_length: int = 50               # DV2 released code, configs.yaml dataset.length 50 (rows)
    prefill: int = 1000                  # DV2 released code, dmc_vision prefill 1000 agent steps
    train_every: int = 5                 # DV2 released code, configs.yaml train_every 5 agent steps
    train_steps: int = 1                 # DV2 released code, configs.yaml train_steps 1
    pretrain: int = 100                  # DV2 released code, configs.yaml pretrain 100
    replay_capacity: int = 1_000_000     # our choice: a 1M-decision run fits (DV2: 2e6)
    bf16: bool = False                   # our choice: bf16 autocast, CPU or CUDA (originals: fp16)

    def dynamics(self) -> DynamicsConfig:
        return DynamicsConfig(self.deter, self.hidden, self.stoch, self.classes, self.cell,
                              self.std, self.min_std, self.stochastic_only)


PRESETS = {
    "dreamerv2": {},
    # DreamerV1 (danijar/dreamer define_config, DMC): plain GRU, 30 Gaussian dims, free nats 3,
    # no balancing (balance 0.5), ReLU convs, tanh-Normal actor + N(0, 0.3), live value, 50 x 50 chunks;
    # prefill 5000, 100 updates per 1000 env steps (at action repeat 2: 2500 and 500); Adam
    # epsilon: TensorFlow's default 1e-7 (the config sets none).
    "dreamerv1": dict(stoch=30, classes=0, cell="gru", std="softplus", cnn_depth=32,
                      activation="relu", reward_layers=2, value_layers=3, kl_balance=0.5,
                      kl_free=3.0, model_lr=6e-4, adam_eps=1e-7, weight_decay=0.0,
                      actor="tanh_normal", entropy_scale=0.0, exploration_noise=0.3,
                      alignment="v1", slow_critic_every=0, batch_size=50, prefill=2500,
                      train_every=500, train_steps=100, pretrain=100),
}


class Dreamer:
    def __init__(self, observation_space: spaces.Box, action_space: spaces.Box,
                 config: DreamerConfig | None = None, seed: int = 0, device: str = "auto"):
        self.config = c = config or DreamerConfig()
        if not (isinstance(action_space, spaces.Box) and len(action_space.shape) == 1
                and np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
            raise ValueError(f"Dreamer needs a bounded 1-D Box action space, got {action_space}")
        self.action_space = action_space
        self.device = resolve_device(device)
        self.action_dim = action_space.shape[0]
        self.low, self.high = action_space.low.astype(np.float64), action_space.high.astype(np.float64)
        self.model = DreamerWorldModel(observation_space, self.action_dim, c).to(self.device)
        self.behaviour = ActorCritic(self.model.dynamics.feature_dim, self.action_dim, c).to(self.device)
        self.model_optimizer = torch.optim.AdamW(self.model.parameters(), c.model_lr,
                                                 eps=c.adam_eps, weight_decay=c.weight_decay)
        self.replay = ReplayBuffer(observation_space, action_space, c.replay_capacity, seed)
        self.rng = np.random.default_rng(seed)
        self.steps = 0              # training steps observed
        self.pretrained = False

    # ------------------------------------------------------------------ acting
    def reset(self, explore: bool):
        return {"latent": self.model.dynamics.initial(1, self.device),
                "prev": torch.zeros(1, self.action_dim, device=self.device)}

    def _normalise(self, action: np.ndarray) -> np.ndarray:
        """Env action -> [-1, 1] (what the actor and the world model see)."""
        return 2 * (np.asarray(action, np.float64) - self.low) / (self.high - self.low) - 1

    def _to_env(self, action: np.ndarray) -> np.ndarray:
        env_action = self.low + (np.clip(action, -1, 1) + 1) / 2 * (self.high - self.low)
        return env_action.astype(self.action_space.dtype)

    def act(self, obs, state, explore: bool):
        with torch.no_grad(), bf16_autocast(self.config.bf16, self.device):
            obs_t = torch.as_tensor(np.asarray(obs), device=self.device)[None]
            latent = self.model.filter(state["latent"], state["prev"], obs_t)
            if explore and self.steps < self.config.prefill:
                action = self._normalise(random_action(self.action_space, self.rng))
            else:
                policy = self.behaviour.actor(self.model.dynamics.features(latent))
                action = (policy.rsample() if explore else policy.mode())[0].cpu().numpy()
                if explore and self.config.exploration_noise:
                    action = np.clip(action + self.config.exploration_noise
                                     * self.rng.standard_normal(action.shape), -1, 1)
        prev = torch.as_tensor(action, dtype=torch.float32, device=self.device)[None]
        return self._to_env(action), {"latent": latent, "prev": prev}

    # ------------------------------------------------------------------ learning
    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        self.steps += 1
        c = self.config
        if self.steps < c.prefill:
            return {}
        if not self.pretrained:
            self.pretrained = True
            return self._train(c.pretrain)
        return self._train(c.train_steps) if self.steps % c.train_every == 0 else {}

    def _train(self, updates: int) -> dict[str, float]:
        metrics = [self.update() for _ in range(updates)]
        return {k: float(np.mean([m[k] for m in metrics])) for k in metrics[0]} if metrics else {}

    def update(self) -> dict[str, float]:
        c = self.config
        batch = self.replay.sample_sequences(c.batch_size, c.chunk_length - 1,
                                             uniform_episodes=True)
        obs = torch.as_tensor(batch["obs"], device=self.device)
        action = torch.as_tensor(self._normalise(batch["action"]), dtype=torch.float32,
                                 device=self.device)
        reward = torch.as_tensor(batch["reward"], device=self.device)
        terminated = torch.as_tensor(batch["terminated"], device=self.device)
        with bf16_autocast(c.bf16, self.device):
            loss, post, metrics = self.model.loss(obs, action, reward, terminated)
        metrics["model_grad_norm"] = clipped_step(self.model_optimizer, loss, self.model,
                                                  c.grad_clip)
        if self.model.discount is not None:    # the chunk's last step is no start (VSG code)
            post = {k: v[:, :-1] for k, v in post.items()}
        start = {k: v.flatten(0, 1) for k, v in post.items()}
        with bf16_autocast(c.bf16, self.device):
            metrics.update(self.behaviour.update(self.model, start))
        return metrics

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "behaviour": self.behaviour.state_dict(),
                "model_optimizer": self.model_optimizer.state_dict(),
                "actor_optimizer": self.behaviour.actor_optimizer.state_dict(),
                "critic_optimizer": self.behaviour.critic_optimizer.state_dict(),
                "updates": self.behaviour.updates, "replay": self.replay.state_dict(),
                "rng": self.rng.bit_generator.state, "steps": self.steps,
                "pretrained": self.pretrained}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.behaviour.load_state_dict(state["behaviour"])
        self.model_optimizer.load_state_dict(state["model_optimizer"])
        self.behaviour.actor_optimizer.load_state_dict(state["actor_optimizer"])
        self.behaviour.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.behaviour.updates = state["updates"]
        self.replay.load_state_dict(state["replay"])
        self.rng.bit_generator.state = state["rng"]
        self.steps, self.pretrained = state["steps"], state["pretrained"]


def preset_config(config_class, presets: dict, overrides: dict):
    """``config_class`` from ``presets[overrides["preset"]]`` (default: the class's) with the
    other overrides on top; an unknown preset is refused by name."""
    name = overrides.get("preset", config_class.preset)
    if name not in presets:
        raise ValueError(f"preset={name!r}; expected one of {sorted(presets)}")
    return make_config(config_class, {**presets[name], **overrides, "preset": name})


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return Dreamer(observation_space, action_space,
                   preset_config(DreamerConfig, PRESETS, dict(overrides)), seed=seed, device=device)
