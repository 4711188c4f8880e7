"""MBPO: Model-Based Policy Optimization (Janner et al. 2019, arXiv:1906.08253).

Algorithm 2 of the paper with the released code's settings (``mbpo/examples/config``):
after ``random_steps`` uniform actions, every ``model_train_every`` env steps

1. fit the probabilistic ensemble (:class:`wmagents.models.mbpo_ensemble.GaussianEnsemble`:
   7 members, 5 elites) on *all* real transitions, to hold-out convergence;
2. start ``rollout_batch`` branched rollouts from real states, ``k`` model steps each under the
   current policy, each step from a random elite; ``k`` follows the per-task schedule
   ``[a, b, x, y]`` over epochs of ``epoch_length`` env steps counted after the random steps
   (the code's epoch index starts after its exploration phase); rollouts stop where the task's
   termination rule (the code's static functions, here on this project's observations) fires;
   the model buffer keeps ``model_retain_epochs`` epochs of rollouts;

and after every env step take ``sac_updates_per_step`` SAC steps (:mod:`wmagents.agents.sac`)
on batches of ``real_ratio`` real and ``1 - real_ratio`` model transitions. Truncated real
steps bootstrap; terminated ones do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces

from wmagents.agents.sac import SAC, SACConfig
from wmagents.api import Transition, make_config
from wmagents.models.mbpo_ensemble import GaussianEnsemble, rollout_length
from wmagents.nn import Checkpointed, fused_adam, torch_batch


KEYS = ("obs", "action", "reward", "next_obs", "terminated")


def _alive(obs: torch.Tensor) -> torch.Tensor:
    return torch.isfinite(obs).all(-1)


# The code's static termination functions (mbpo/static/*.py) on next observations; the
# observation layouts are this project's (z height first, then the torso angle).
TERMINATIONS = {
    "none": lambda o: torch.zeros(len(o), dtype=torch.bool, device=o.device),
    "hopper": lambda o: ~(_alive(o) & (o[:, 1:].abs() < 100).all(-1) & (o[:, 0] > 0.7)
                          & (o[:, 1].abs() < 0.2)),
    "walker2d": lambda o: ~((o[:, 0] > 0.8) & (o[:, 0] < 2.0) & (o[:, 1] > -1.0)
                            & (o[:, 1] < 1.0)),
    "ant": lambda o: ~(_alive(o) & (o[:, 0] >= 0.2) & (o[:, 0] <= 1.0)),
    "humanoid": lambda o: (o[:, 0] < 1.0) | (o[:, 0] > 2.0),
}


@dataclass
class MBPOConfig:
    members: int = 7                      # App. C / constructor.py: ensemble of 7
    elites: int = 5                       # App. C: 5 elites
    model_hidden: tuple[int, ...] = (200, 200, 200, 200)   # code (constructor.py): 4 x 200 swish
    weight_decay: tuple[float, ...] = (2.5e-5, 5e-5, 7.5e-5, 7.5e-5, 1e-4)  # code (constructor.py)
    model_lr: float = 1e-3                # code (constructor.py): Adam 1e-3
    model_batch: int = 256                # code (bnn.py train): batch 256
    holdout_ratio: float = 0.2            # code (mbpo.py): 20 % hold-out
    max_holdout: int = 5_000              # code (bnn.py): hold-out capped at 5000
    patience: int = 5                     # code (bnn.py): max_epochs_since_update 5
    model_max_epochs: int = 0             # code: no epoch cap (0); a cap for tiny budgets
    model_train_every: int = 250          # App. C table: model trained every 250 steps
    rollout_batch: int = 100_000          # App. C table: 100K model rollouts per training
    rollout_schedule: tuple[int, ...] = (20, 100, 1, 1)    # App. C table: [a, b, x, y]
    model_retain_epochs: int = 1          # code config: model buffer keeps 1 epoch
    epoch_length: int = 1_000             # App. C table: epoch = 1000 env steps
    real_ratio: float = 0.05              # code config: 5 % real data per SAC batch
    sac_updates_per_step: int = 20        # App. C table: G = 20 policy updates per env step
    random_steps: int = 5_000             # code config: n_initial_exploration_steps 5000
    termination: str = "none"             # code (static/): per-task rule, none = HalfCheetah
    hidden: tuple[int, ...] = (256, 256)  # code (softlearning SAC): 2 x 256
    lr: float = 3e-4                      # code (softlearning SAC): Adam 3e-4
    batch_size: int = 256                 # code (softlearning SAC): batch 256
    gamma: float = 0.99                   # code config: discount 0.99
    tau: float = 0.005                    # code config: target update 5e-3
    target_entropy_scale: float = 1.0     # code config: per task (Ant -4 = 0.5 x dim, ...)
    replay_capacity: int = 1_000_000      # code config: pool 1e6


class ModelBuffer:
    """A ring of imagined transitions (tensors), resized as the rollout length changes."""

    def __init__(self, device: torch.device):
        self.data: dict[str, torch.Tensor] = {}
        self.capacity, self.head, self.size = 0, 0, 0
        self.device = device

    def resize(self, capacity: int) -> None:
        if capacity != self.capacity:
            kept = self.latest(min(self.size, capacity))
            self.data = {k: torch.zeros((capacity, *v.shape[1:]), dtype=v.dtype,
                                        device=self.device) for k, v in kept.items()}
            self.capacity, self.head, self.size = capacity, 0, 0
            if kept:
                self.add(kept)

    def latest(self, n: int) -> dict[str, torch.Tensor]:
        index = (self.head - n + torch.arange(n, device=self.device)) % max(self.capacity, 1)
        return {k: v[index] for k, v in self.data.items()}

    def add(self, batch: dict[str, torch.Tensor]) -> None:
        if not self.data:
            self.data = {k: torch.zeros((self.capacity, *v.shape[1:]), dtype=v.dtype,
                                        device=self.device) for k, v in batch.items()}
        n = len(batch["obs"])
        index = (self.head + torch.arange(n, device=self.device)) % self.capacity
        for k, v in batch.items():
            self.data[k][index] = v
        self.head = (self.head + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        index = torch.as_tensor(rng.integers(0, self.size, n), device=self.device)
        return {k: v[index] for k, v in self.data.items()}

    def state_dict(self) -> dict:
        """The ring as it is (slot order, head), so sampling continues identically."""
        return {"data": {k: v[: self.size] for k, v in self.data.items()},
                "capacity": self.capacity, "head": self.head, "size": self.size}

    def load_state_dict(self, state: dict) -> None:
        self.capacity, self.head, self.size = state["capacity"], state["head"], state["size"]
        self.data = {k: torch.zeros((self.capacity, *v.shape[1:]), dtype=v.dtype,
                                    device=self.device) for k, v in state["data"].items()}
        for k, v in state["data"].items():
            self.data[k][: self.size] = v.to(self.device)


class MBPO(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: MBPOConfig | None = None, seed: int = 0, device: str = "auto"):
        self.config = c = config or MBPOConfig()
        if c.termination not in TERMINATIONS:
            raise ValueError(f"termination={c.termination!r}; expected one of "
                             f"{sorted(TERMINATIONS)}")
        if len(c.rollout_schedule) != 4:
            raise ValueError(f"rollout_schedule is [a, b, x, y], got {c.rollout_schedule}")
        self.sac = SAC(observation_space, action_space, SACConfig(
            lr=c.lr, gamma=c.gamma, replay_capacity=c.replay_capacity, hidden=c.hidden,
            batch_size=c.batch_size, tau=c.tau, updates_per_step=0,
            target_entropy_scale=c.target_entropy_scale, learning_starts=c.random_steps),
            seed=seed, device=device)
        self.device = self.sac.device
        self.rng = np.random.default_rng([seed, 1])
        obs_dim, act_dim = observation_space.shape[0], action_space.shape[0]
        self.model = GaussianEnsemble(obs_dim, act_dim, c.members, c.elites, c.model_hidden,
                                      c.weight_decay).to(self.device)
        self.model_optimizer = fused_adam(self.model.parameters(), lr=c.model_lr)
        self.model_buffer = ModelBuffer(self.device)
        self.is_done = TERMINATIONS[c.termination]

    @property
    def replay(self):
        return self.sac.replay

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        return self.sac.act(obs, state, explore)

    def observe(self, transition: Transition) -> dict[str, float]:
        c = self.config
        self.replay.add(transition)
        steps = self.replay.transitions
        if steps < c.random_steps:
            return {}
        metrics: dict[str, float] = {}
        if (steps - c.random_steps) % c.model_train_every == 0 or not self.model_buffer.size:
            metrics.update(self.train_model())
            epoch = (steps - c.random_steps) // c.epoch_length     # epochs after exploration
            metrics.update(self.rollout(rollout_length(epoch, tuple(c.rollout_schedule))))
        for _ in range(c.sac_updates_per_step):
            metrics.update(self.sac.update(self.mixed_batch()))
        return metrics

    def train_model(self) -> dict[str, float]:
        """Step 1: the ensemble on every real transition (targets ``r, s' - s``)."""
        c = self.config
        data = torch_batch(self.replay.all_transitions(), self.device)
        inputs = torch.cat([data["obs"], data["action"].float()], -1)
        targets = torch.cat([data["reward"][:, None], data["next_obs"] - data["obs"]], -1)
        return self.model.fit(inputs, targets, self.model_optimizer, self.rng, c.model_batch,
                              c.holdout_ratio, c.max_holdout, c.patience, c.model_max_epochs)

    @torch.no_grad()
    def rollout(self, length: int) -> dict[str, float]:
        """Step 2: branched rollouts of ``length`` model steps from real states."""
        c = self.config
        self.model_buffer.resize(c.model_retain_epochs * c.rollout_batch * length
                                 * c.epoch_length // c.model_train_every)
        obs = torch_batch(self.replay.sample(c.rollout_batch), self.device)["obs"]
        for _ in range(length):
            action = self.sac.actor.sample(obs)[0]
            reward, next_obs = self.model.sample(obs, action)
            done = self.is_done(next_obs)
            self.model_buffer.add({"obs": obs, "action": action, "reward": reward,
                                   "next_obs": next_obs, "terminated": done.float()})
            obs = next_obs[~done]
            if not len(obs):
                break
        return {"rollout_length": float(length), "model_buffer": float(self.model_buffer.size)}

    def mixed_batch(self) -> dict[str, torch.Tensor]:
        c = self.config
        real = int(c.batch_size * c.real_ratio)
        real_batch = torch_batch(self.replay.sample(real), self.device) if real else {}
        model_batch = self.model_buffer.sample(c.batch_size - real, self.rng)
        return {k: torch.cat([real_batch[k].float(), model_batch[k].float()]) if real
                else model_batch[k].float() for k in KEYS}

    def _parts(self) -> dict:
        return {"sac": self.sac, "model": self.model, "model_optimizer": self.model_optimizer,
                "model_buffer": self.model_buffer, "rng": self.rng}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    return MBPO(observation_space, action_space, make_config(MBPOConfig, overrides),
                seed=seed, device=device)
