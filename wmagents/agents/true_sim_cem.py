"""CEM + true simulator: the oracle planner of PlaNet's Table 1 (no learning, 0 episodes).

Unlike every other agent this one is built *on the environment it acts in* (it is the oracle
by definition): each decision runs :mod:`wmagents.planners.cem` with candidates scored by
rolling the real simulator out of its current state (:mod:`wmagents.planners.true_sim`), then
repeats the first planned action ``action_repeat`` times. It plugs into
``wmagents.harness.loop.run_episode`` / ``evaluate`` like any agent, with that same env.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym
import torch
from gymnasium import spaces

from wmagents.api import Transition
from wmagents.planners.cem import CEMConfig, cem_categorical, cem_continuous
from wmagents.planners.true_sim import simulator_for


@dataclass
class TrueSimCEMConfig:
    """Defaults: PlaNet's planner (Sec. 3 / Table 1): horizon 12, 10 iterations, 1000
    candidates, top 100; ``action_repeat`` is the task's (PlaNet: cartpole 8, reacher 4,
    cheetah 4, finger 2, cup 4, walker 2). ``threads``: rollout threads of the batched
    MuJoCo simulator (more threads change only the speed, not the returns)."""

    horizon: int = 12
    iterations: int = 10
    candidates: int = 1000
    top_k: int = 100
    action_repeat: int = 1
    threads: int = 1

    @property
    def cem(self) -> CEMConfig:
        return CEMConfig(self.horizon, self.iterations, self.candidates, self.top_k)


class TrueSimCEM:
    def __init__(self, env: gym.Env, config: TrueSimCEMConfig | None = None, seed: int = 0):
        self.config = config or TrueSimCEMConfig()
        for name in ("action_repeat", "threads"):
            if getattr(self.config, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self.config, name)}")
        self.env, self.action_space = env, env.action_space
        self.simulator = simulator_for(env, self.config.action_repeat, self.config.threads)
        self.generator = torch.Generator().manual_seed(seed)
        self.plan_seconds, self.plan_cpu_seconds, self.plans = 0.0, 0.0, 0

    def reset(self, explore: bool):
        return {"action": None, "left": 0}

    def act(self, obs, state, explore: bool):
        if state["left"] == 0:
            started, cpu = time.perf_counter(), time.process_time()
            state = {"action": self._plan(), "left": self.config.action_repeat}
            self.plan_seconds += time.perf_counter() - started
            self.plan_cpu_seconds += time.process_time() - cpu
            self.plans += 1
        return state["action"], {**state, "left": state["left"] - 1}

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

    @property
    def seconds_per_action(self) -> float:
        """Wall-clock planning time per decision (inflated when other work shares the CPU)."""
        return self.plan_seconds / max(self.plans, 1)

    @property
    def cpu_seconds_per_action(self) -> float:
        """This process's CPU time per decision (robust to other load)."""
        return self.plan_cpu_seconds / max(self.plans, 1)

    def observe(self, transition: Transition) -> dict[str, float]:
        return {}

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
