"""Planning with a learnt latent dynamics model (Saanum & Schulz, appendix A.7, Algorithms 2-3).

Every step, with probability ``1 - eps(N)`` the agent plans with the categorical-logit CEM of
:func:`wmagents.planners.cem.cem_categorical` (H = 15, I = 10, J = 1000, K = 200) in latent
space, scoring a candidate by ``sum_t exp(-||z_t - z_goal||)`` with ``z_goal = f(s_goal)``; else
it acts uniformly at random. ``eps(N) = 1 - ((N - 1) / T)^V`` with ``N`` the task number
(1-based), ``T = 30`` tasks and ``V = 2.8``. After each task (episode) the model takes
``dynamics_updates_per_episode`` gradient steps on replayed ``(s, a, s')``. Evaluation
(``explore=False``) plans at every step.

``model="true"`` is the red line of Figure 4: the same planner with the true transition table
``P`` of the world named by ``world``. It is an oracle: it rebuilds the world's tables from
:mod:`wmenvs.gridworlds` (the paper's true dynamics need the hidden state), identifies the
cell by its observation vector and scores with the distance between the cells' coordinates
(on the Torus, each axis embedded on a circle whose neighbouring points are 1 apart).

Observations are the planning IDs' ``Dict``: ``observation`` and ``desired_goal`` are used.
Adapter: ``make_agent(observation_space, action_space, *, seed, device, overrides)``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces

from wmagents.api import Transition, make_config
from wmagents.replay import ReplayBuffer
from wmagents.models.latent_baselines import make_dynamics_model
from wmagents.nn import resolve_device
from wmagents.planners.cem import CEMConfig, cem_categorical

PLANNING_MODELS = ("parsimonious", "rnn", "ssm", "true")


@dataclass
class PlanningConfig:
    model: str = "parsimonious"            # Figure 4's lines: parsimonious | rnn | ssm | true
    horizon: int = 15                      # A.7: planning horizon H = 15
    iterations: int = 10                   # A.7: I = 10 CEM iterations
    candidates: int = 1000                 # A.7: J = 1000 candidates
    top_k: int = 200                       # A.7: refit to the K = 200 best
    tasks: int = 30                        # A.7: T = 30 problems per planning task
    epsilon_power: float = 2.8             # A.7: exploration schedule exponent V = 2.8
    latent_dim: int = 15                   # A.2: latent size 15
    model_hidden: tuple[int, ...] = (1200, 1200)   # A.2: 2 x 1200 ReLU
    transform: str = "both"                # Sec. 2.3 (rotation + translation); grids not stated
    beta: float = 0.5                      # eq. 4 / beta-VAE weight: tuned in the paper, not reported
    dynamics_lr: float = 1e-3              # A.7: dynamics model learning rate
    dynamics_updates_per_episode: int = 50  # our choice: not stated in the paper
    dynamics_batch: int = 128              # our choice: not stated in the paper
    replay_capacity: int = 100_000         # our choice: every step of 30 x 50-step tasks fits
    world: str = ""                        # our choice: model="true" only, GridWorld | FourRooms | Torus
    obs_dim: int = 64                      # our choice: model="true" only, the env's obs_dim
    world_seed: int = 0                    # our choice: model="true" only, the env's world_seed


class TrueGridDynamics:
    """Oracle latent space: cell coordinates (circle-embedded on the Torus), true ``P``."""

    def __init__(self, world: str, obs_dim: int, world_seed: int, device: torch.device):
        from wmenvs.gridworlds import get_world, observation_table

        grid = get_world(world)
        self.table = torch.tensor(observation_table(world, obs_dim, world_seed, 0.0),
                                  dtype=torch.float32, device=device)
        coords = grid.coords.astype(np.float64)
        if grid.wraps:
            radius = 1 / (2 * np.sin(math.pi / np.array(grid.shape)))
            angles = 2 * math.pi * coords / np.array(grid.shape)
            coords = np.concatenate([radius * np.cos(angles), radius * np.sin(angles)], -1)
        self.embedding = torch.as_tensor(coords, dtype=torch.float32, device=device)
        self.P = torch.tensor(grid.P, device=device)

    def _cell(self, x: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        return torch.cdist(x, table).argmin(-1)

    def encode(self, s: torch.Tensor) -> torch.Tensor:
        return self.embedding[self._cell(s, self.table)]

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self.embedding[self.P[self._cell(z, self.embedding), action.long()]]


class LatentPlanner:
    def __init__(self, observation_space: spaces.Dict, action_space: spaces.Discrete,
                 config: PlanningConfig | None = None, seed: int = 0, device: str = "auto"):
        if not (isinstance(observation_space, spaces.Dict)
                and {"observation", "desired_goal"} <= set(observation_space.spaces)):
            raise ValueError("LatentPlanner needs the goal-convention Dict observation of the "
                             f"<World>Planning-v0 IDs, got {observation_space}")
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(f"LatentPlanner needs a Discrete action space, got {action_space}")
        self.config = config = config or PlanningConfig()
        if config.model not in PLANNING_MODELS:
            raise ValueError(f"model={config.model!r}; expected one of {PLANNING_MODELS}")
        self.cem = CEMConfig(config.horizon, config.iterations, config.candidates, config.top_k)
        self.device = resolve_device(device)
        self.n_actions = int(action_space.n)
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator(self.device).manual_seed(seed)
        vector = observation_space["observation"]
        self.replay = ReplayBuffer(vector, action_space, config.replay_capacity, seed)
        self.tasks_done = 0
        self.model, self.optimizer = None, None
        if config.model == "true":
            if not config.world:
                raise ValueError("model='true' needs world= (GridWorld, FourRooms or Torus)")
            self.dynamics = TrueGridDynamics(config.world, config.obs_dim, config.world_seed,
                                             self.device)
        else:
            self.model = make_dynamics_model(
                config.model, vector.shape[0], self.n_actions, latent_dim=config.latent_dim,
                hidden=config.model_hidden, transform=config.transform,
                beta=config.beta).to(self.device)
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.dynamics_lr)
            self.dynamics = self.model

    def epsilon(self) -> float:
        """``eps(N) = 1 - ((N - 1) / T)^V`` for the task now being played (N = tasks done + 1)."""
        progress = min(self.tasks_done / self.config.tasks, 1.0)
        return 1.0 - progress ** self.config.epsilon_power

    def reset(self, explore: bool):
        return None

    def _tensor(self, x) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x, np.float32), device=self.device)[None]

    @torch.no_grad()
    def plan(self, obs: dict) -> int:
        z0 = self.dynamics.encode(self._tensor(obs["observation"]))
        goal = self.dynamics.encode(self._tensor(obs["desired_goal"]))

        def score(actions: torch.Tensor) -> torch.Tensor:   # (1, J, H) -> (1, J)
            z = z0.expand(actions.shape[1], -1)
            total = torch.zeros(actions.shape[1], device=self.device)
            for t in range(actions.shape[2]):
                z = self.dynamics.predict(z, actions[0, :, t])
                total += torch.exp(-torch.linalg.vector_norm(z - goal, dim=-1))
            return total[None]

        return int(cem_categorical(score, 1, self.n_actions, self.cem, self.device,
                                   self.generator)[0, 0])

    def act(self, obs, state, explore: bool):
        if explore and self.rng.random() < self.epsilon():
            return int(self.rng.integers(self.n_actions)), state
        return self.plan(obs), state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(dataclasses.replace(transition, obs=transition.obs["observation"],
                                            next_obs=transition.next_obs["observation"]))
        if not transition.episode_end:
            return {}
        self.tasks_done += 1
        metrics: dict[str, float] = {}
        for _ in range(self.config.dynamics_updates_per_episode if self.model else 0):
            metrics = self.dynamics_step()
        return {"epsilon": self.epsilon(), **metrics}

    def dynamics_step(self) -> dict[str, float]:
        """One gradient step of the learnt model on a replay batch (Algorithm 2)."""
        b = {k: torch.as_tensor(v, device=self.device)
             for k, v in self.replay.sample(self.config.dynamics_batch).items()}
        loss, metrics = self.model.loss(b["obs"].float(), b["action"], b["next_obs"].float())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return metrics

    def state_dict(self) -> dict:
        state = {"replay": self.replay.state_dict(), "rng": self.rng.bit_generator.state,
                 "generator": self.generator.get_state(), "tasks_done": self.tasks_done}
        if self.model is not None:
            state.update(model=self.model.state_dict(), optimizer=self.optimizer.state_dict())
        return state

    def load_state_dict(self, state: dict) -> None:
        self.replay.load_state_dict(state["replay"])
        self.rng.bit_generator.state = state["rng"]
        self.generator.set_state(state["generator"])
        self.tasks_done = state["tasks_done"]
        if self.model is not None:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return LatentPlanner(observation_space, action_space, make_config(PlanningConfig, overrides),
                         seed=seed, device=device)
