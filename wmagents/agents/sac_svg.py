"""SAC-SVG(H): SAC whose actor maximises an H-step model-based value expansion (Amos et al.
2021, "On the model-based stochastic value gradient for continuous reinforcement learning",
arXiv:2008.12775), with the released code's settings (facebookresearch/svg
``config/train.yaml``, ``svg/agent.py``, ``svg/dx.py``).

Per env step after ``random_steps`` uniform actions, on normalised observations (running mean
and std of every observation seen, the std kept in [0.1, 10]):

1. (H > 1) ``model_updates_per_step`` steps of the dynamics model on sequences of H states: an
   MLP encoder of ``(x_t, u_t)`` feeds a 2-layer GRU whose output is decoded linearly to
   ``x_{t+1} - x_t``; multi-step MSE, each step from the model's own detached prediction;
2. the SAC critic step on a batch of real transitions (twin Q, target
   ``r + gamma (1 - terminated)(min Q' - alpha log pi)``);
3. the actor: SAC's loss for the first ``warmup_steps`` env steps, then the value expansion
   (eq. 4-5 of the paper) ``J = mean_t gamma^t w_t (r(x_t, u_t) - alpha log pi(u_t|x_t))``
   over ``x_0`` real and ``x_1 .. x_{H-1}`` imagined under the policy, the last reward
   replaced by ``min_i Q_i(x_{H-1}, u_{H-1})``, ``w_t`` the probability that no learnt
   termination happened before ``t``, loss ``-J / H``; then the temperature towards the
   scheduled target entropy ``(init - final)(1 - step/decay_steps)^factor + final``;
4. the reward MLP (MSE) and the termination MLP (cross entropy weighted by the not-done to
   done ratio); a Polyak step of the target critics.

Deviations: the code's ``accum_prod`` weights the first reward by the first step's not-done
probability and counts that probability twice in later weights; here ``w_t = prod_{j<t}
(1 - d_j)``. The temperature takes SAC's eq. 18 step (``log alpha (H - target)``); the code's
loss has ``alpha`` in place of ``log alpha``. Sequences never cross an episode end.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition, make_config
from wmagents.nn import (Checkpointed, QEnsemble, TanhGaussianActor, Temperature, frozen,
                         fused_adam, mlp, obs_tensor, optimizer_step, orthogonal_init,
                         require_vector_box, resolve_device, soft_update, torch_batch)
from wmagents.replay import ReplayBuffer


@dataclass
class SACSVGConfig:
    horizon: int = 3                        # code (config/train.yaml): H = 3
    hidden: tuple[int, ...] = (512,) * 4    # code (train.yaml): actor and critics 4 x 512
    actor_lr: float = 1e-4                  # code (train.yaml): actor_lr
    critic_lr: float = 1e-4                 # code (train.yaml): critic_lr
    tau: float = 0.005                      # code (train.yaml): critic_tau
    gamma: float = 0.99                     # code (train.yaml): discount
    log_std_min: float = -5.0               # code (train.yaml): log_std_bounds [-5, 2]
    log_std_max: float = 2.0                # code (train.yaml): log_std_bounds [-5, 2]
    init_alpha: float = 0.1                 # code (train.yaml): learn_temp init_temp
    alpha_lr: float = 1e-4                  # code (train.yaml): learn_temp lr
    target_entropy_init: float | None = None   # code (train.yaml): -dim(A) (None); per task in code
    target_entropy_final: float | None = None  # code (train.yaml): -dim(A) (None); per task in code
    entropy_decay_factor: float = 0.0       # code (train.yaml): entr_decay_factor 0
    entropy_decay_steps: int = 200_000      # code: max_steps = the run's env steps
    model_latent: int = 512                 # code (train.yaml): dx rec_latent_dim 512
    model_encoder_hidden: tuple[int, ...] = (512, 512)  # code (train.yaml): xu_enc 2 x 512
    model_layers: int = 2                   # code (train.yaml): GRU, 2 layers
    model_lr: float = 1e-3                  # code (train.yaml): dx lr
    model_clip: float = 1.0                 # code (train.yaml): dx clip_grad_norm
    model_updates_per_step: int = 4         # code (train.yaml): model_update_repeat 4
    seq_batch_size: int = 512               # code (train.yaml): seq_batch_size
    step_batch_size: int = 1024             # code (train.yaml): step_batch_size
    head_hidden: tuple[int, ...] = (512, 512)   # code (train.yaml): rew and done MLPs 2 x 512
    head_lr: float = 1e-3                   # code (train.yaml): rew_lr, done_lr
    random_steps: int = 1_000               # code (train.yaml): num_seed_steps
    warmup_steps: int = 10_000              # code (poplin configs): model-free actor first
    replay_capacity: int = 1_000_000        # code (train.yaml): min(steps, 1e6)


class RunningNorm:
    """Welford mean / std of every observation added; ``std`` clipped into [0.1, 10]."""

    def __init__(self, dim: int):
        self.n, self.mean, self.m2 = 0, np.zeros(dim), np.zeros(dim)

    def add(self, x: np.ndarray) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    def stats(self, device) -> tuple[torch.Tensor, torch.Tensor]:
        std = np.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else np.ones_like(self.mean)
        return (torch.as_tensor(self.mean, dtype=torch.float32, device=device),
                torch.as_tensor(np.clip(std, 0.1, 10.0), dtype=torch.float32, device=device))

    def state_dict(self) -> dict:
        return {"n": self.n, "mean": self.mean.copy(), "m2": self.m2.copy()}

    def load_state_dict(self, state: dict) -> None:
        self.n, self.mean, self.m2 = state["n"], state["mean"].copy(), state["m2"].copy()


class SequenceDynamics(nn.Module):
    """``x_{t+1} = x_t + dec(GRU(enc(x_t, u_t), h_t))`` (svg/dx.py ``SeqDx``)."""

    def __init__(self, obs_dim: int, action_dim: int, config: SACSVGConfig):
        super().__init__()
        self.encoder = orthogonal_init(mlp(obs_dim + action_dim, config.model_encoder_hidden,
                                           config.model_latent))
        self.decoder = orthogonal_init(nn.Linear(config.model_latent, obs_dim))
        self.gru = nn.GRU(config.model_latent, config.model_latent, config.model_layers)

    def initial_state(self, batch: int, device) -> torch.Tensor:
        return torch.zeros(self.gru.num_layers, batch, self.gru.hidden_size, device=device)

    def step(self, x: torch.Tensor, u: torch.Tensor, h: torch.Tensor):
        out, h = self.gru(self.encoder(torch.cat([x, u], -1))[None], h)
        return x + self.decoder(out[0]), h


class SACSVG(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: SACSVGConfig | None = None, seed: int = 0, device: str = "auto"):
        require_vector_box("SAC-SVG", observation_space, action_space)
        self.config = c = config or SACSVGConfig()
        if c.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {c.horizon}")
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, c.replay_capacity, seed)
        obs_dim, act_dim = observation_space.shape[0], action_space.shape[0]
        self.norm = RunningNorm(obs_dim)
        self.actor = orthogonal_init(TanhGaussianActor(
            obs_dim, c.hidden, action_space, (c.log_std_min, c.log_std_max))).to(self.device)
        self.critic = orthogonal_init(QEnsemble(obs_dim + act_dim, c.hidden, 1)).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.dynamics = SequenceDynamics(obs_dim, act_dim, c).to(self.device)
        self.reward = orthogonal_init(mlp(obs_dim + act_dim, c.head_hidden, 1)).to(self.device)
        self.done = orthogonal_init(mlp(obs_dim + act_dim, c.head_hidden, 1)).to(self.device)
        self.temperature = Temperature(c.init_alpha, True, c.alpha_lr, self.device)
        default = -float(act_dim)
        self.entropy_range = (default if c.target_entropy_init is None else c.target_entropy_init,
                              default if c.target_entropy_final is None else c.target_entropy_final)
        self.optimizers = {name: fused_adam(getattr(self, name).parameters(), lr=lr)
                           for name, lr in (("actor", c.actor_lr), ("critic", c.critic_lr),
                                            ("dynamics", c.model_lr), ("reward", c.head_lr),
                                            ("done", c.head_lr))}

    # -- acting ---------------------------------------------------------------------------------
    def normalise(self, obs: torch.Tensor) -> torch.Tensor:
        mean, std = self.norm.stats(obs.device)
        return (obs - mean) / std

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < self.config.random_steps:
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            x = self.normalise(obs_tensor(obs, self.device))
            action = self.actor.sample(x)[0] if explore else self.actor.mode(x)
        return action[0].cpu().numpy().astype(self.action_space.dtype), state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.norm.add(np.asarray(transition.obs, np.float64))      # the code: every obs added
        self.replay.add(transition)
        if self.replay.transitions < self.config.random_steps:
            return {}
        return self.update()

    # -- one update -------------------------------------------------------------------------------
    def update(self) -> dict[str, float]:
        c = self.config
        metrics = {}
        if c.horizon > 1:
            for _ in range(c.model_updates_per_step):
                metrics["model_loss"] = self.dynamics_step()
        b = torch_batch(self.replay.sample(c.step_batch_size), self.device)
        x, x_next, u = self.normalise(b["obs"]), self.normalise(b["next_obs"]), b["action"].float()
        metrics["critic_loss"] = self.critic_step(x, u, b["reward"], b["terminated"], x_next)
        metrics.update(self.actor_step(x))
        xu = torch.cat([x, u], -1)
        metrics["reward_loss"] = optimizer_step(
            self.optimizers["reward"], F.mse_loss(self.reward(xu).squeeze(-1), b["reward"]))
        metrics["done_loss"] = optimizer_step(self.optimizers["done"],
                                              self.done_loss(xu, b["terminated"]))
        soft_update(self.critic_target, self.critic, c.tau)
        return metrics

    def dynamics_step(self) -> float:
        c = self.config
        seq = torch_batch(self.replay.sample_sequences(c.seq_batch_size, c.horizon - 1),
                          self.device, floats=("obs",))
        obs = self.normalise(seq["obs"].transpose(0, 1))
        actions = seq["action"].transpose(0, 1).float()
        x, h, predictions = obs[0], self.dynamics.initial_state(obs.shape[1], self.device), []
        for t in range(c.horizon - 1):
            x, h = self.dynamics.step(x.detach(), actions[t], h)
            predictions.append(x)
        loss = F.mse_loss(torch.stack(predictions), obs[1:])
        return optimizer_step(self.optimizers["dynamics"], loss, self.dynamics.parameters(),
                              c.model_clip)

    def critic_step(self, x, u, reward, terminated, x_next) -> float:
        alpha, gamma = self.temperature.alpha, self.config.gamma
        with torch.no_grad():
            next_u, next_log_pi = self.actor.sample(x_next)
            next_q = self.critic_target(torch.cat([x_next, next_u], -1)).squeeze(-1).min(0).values
            target = reward + gamma * (1 - terminated) * (next_q - alpha * next_log_pi)
        q = self.critic(torch.cat([x, u], -1)).squeeze(-1)
        return optimizer_step(self.optimizers["critic"],
                              F.mse_loss(q[0], target) + F.mse_loss(q[1], target))

    def value_expansion(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(J per start, log pi(u_0|x_0))``: the discounted, termination-weighted soft
        rewards of an H-step policy rollout in the model, bootstrapped with ``min Q``."""
        c, alpha = self.config, self.temperature.alpha
        h, weight = self.dynamics.initial_state(len(x), x.device), torch.ones(len(x), device=x.device)
        total, first_log_pi = 0.0, None
        for t in range(c.horizon):
            u, log_pi = self.actor.sample(x)
            first_log_pi = log_pi if t == 0 else first_log_pi
            xu = torch.cat([x, u], -1)
            value = (self.critic(xu).squeeze(-1).min(0).values if t == c.horizon - 1
                     else self.reward(xu).squeeze(-1))
            total = total + c.gamma ** t * (weight * value - alpha * log_pi)
            if t < c.horizon - 1:
                weight = weight * (1 - torch.sigmoid(self.done(xu).squeeze(-1)))
                x, h = self.dynamics.step(x, u, h)
        return total, first_log_pi

    def actor_step(self, x: torch.Tensor) -> dict[str, float]:
        c = self.config
        steps = self.replay.transitions
        with frozen(self.critic), frozen(self.dynamics), frozen(self.reward), frozen(self.done):
            if steps < c.warmup_steps or c.horizon == 1:                   # SAC's actor loss
                u, log_pi = self.actor.sample(x)
                q = self.critic(torch.cat([x, u], -1)).squeeze(-1).min(0).values
                loss = (self.temperature.alpha * log_pi - q).mean()
            else:
                total, log_pi = self.value_expansion(x)
                loss = -(total / c.horizon).mean()
            actor_loss = optimizer_step(self.optimizers["actor"], loss)
        init, final = self.entropy_range
        progress = max(1 - steps / c.entropy_decay_steps, 0.0) ** c.entropy_decay_factor
        target = (init - final) * progress + final
        alpha = self.temperature.update(-log_pi, target)
        return {"actor_loss": actor_loss, "alpha": alpha, "target_entropy": target,
                "entropy": -log_pi.mean().item()}

    def done_loss(self, xu: torch.Tensor, terminated: torch.Tensor) -> torch.Tensor:
        """Termination cross entropy, ends weighted by (not-done / done) as in the code."""
        n_done = terminated.sum()
        pos_weight = (len(terminated) - n_done) / n_done if n_done > 0 else torch.tensor(1.0)
        return F.binary_cross_entropy_with_logits(self.done(xu).squeeze(-1), terminated,
                                                  pos_weight=pos_weight)

    # -- checkpoints ------------------------------------------------------------------------------
    def _parts(self) -> dict:
        return {"actor": self.actor, "critic": self.critic, "critic_target": self.critic_target,
                "dynamics": self.dynamics, "reward": self.reward, "done": self.done,
                "temperature": self.temperature, "norm": self.norm, "replay": self.replay,
                "rng": self.rng, **{f"{k}_optimizer": v for k, v in self.optimizers.items()}}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    return SACSVG(observation_space, action_space, make_config(SACSVGConfig, overrides),
                  seed=seed, device=device)
