"""CEM + true simulator: the oracle planner of PlaNet's Table 1 (no learning, 0 episodes).

Not an :class:`~wmagents.api.Agent`: it is built *on the environment it acts in*, which is what
makes it the oracle, so its constructor is ``make_planner(env, *, seed, overrides)`` where
an agent's is ``make_agent(observation_space, action_space, ...)``. Each decision runs
:mod:`wmagents.planners.cem` with candidates scored by rolling the real simulator out of its
current state (:mod:`wmagents.planners.true_sim`); the ID's own action repeat applies the
chosen action R times. The runner evaluates a planner through the same loop, store and run ids
as an agent (a run spec with budget 0).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym
import torch
from gymnasium import spaces

from wmagents.api import Transition, make_config
from wmagents.planners.cem import CEMConfig, cem_categorical, cem_continuous
from wmagents.planners.true_sim import simulator_for


@dataclass
class TrueSimCEMConfig:
    horizon: int = 12         # PlaNet Sec. 3 / Table 1 planner: horizon H = 12
    iterations: int = 10      # PlaNet Sec. 3: I = 10 optimisation iterations
    candidates: int = 1000    # PlaNet Sec. 3: J = 1000 candidate sequences
    top_k: int = 100          # PlaNet Sec. 3: refit to the K = 100 best
    threads: int = 1          # our choice: rollout threads of the batched MuJoCo scorer (speed only)

    @property
    def cem(self) -> CEMConfig:
        return CEMConfig(self.horizon, self.iterations, self.candidates, self.top_k)


class TrueSimCEM:
    def __init__(self, env: gym.Env, config: TrueSimCEMConfig | None = None, seed: int = 0):
        self.config = config or TrueSimCEMConfig()
        if self.config.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.config.threads}")
        self.action_space = env.action_space
        self.simulator = simulator_for(env, self.config.threads)
        self.generator = torch.Generator().manual_seed(seed)
        self.plan_seconds, self.plan_cpu_seconds, self.plans = 0.0, 0.0, 0

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        started, cpu = time.perf_counter(), time.process_time()
        action = self._plan()
        self.plan_seconds += time.perf_counter() - started
        self.plan_cpu_seconds += time.process_time() - cpu
        self.plans += 1
        return action, state

    def _plan(self):
        cem = self.config.cem

        def score(actions: torch.Tensor) -> torch.Tensor:
            return torch.as_tensor(self.simulator.returns(actions[0].numpy()))[None]

        if isinstance(self.action_space, spaces.Discrete):
            plan = cem_categorical(score, 1, int(self.action_space.n), cem,
                                   generator=self.generator)
            return int(plan[0, 0])
        low, high = (torch.as_tensor(b, dtype=torch.float32)
                     for b in (self.action_space.low, self.action_space.high))
        plan = cem_continuous(score, 1, low, high, cem, generator=self.generator)
        return plan[0, 0].numpy().astype(self.action_space.dtype)

    def timing(self) -> dict[str, float]:
        """Planning time per decision: wall-clock (inflated when other work shares the CPU)
        and this process's CPU time (robust to other load)."""
        plans = max(self.plans, 1)
        return {"seconds_per_action": self.plan_seconds / plans,
                "cpu_seconds_per_action": self.plan_cpu_seconds / plans, "actions": self.plans}

    def observe(self, transition: Transition) -> dict[str, float]:
        return {}

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])


def make_planner(env, *, seed, overrides):
    return TrueSimCEM(env, make_config(TrueSimCEMConfig, overrides), seed=seed)
