"""The true simulator as a CEM scorer: per-family adapters that roll candidate action
sequences out of a copy of the environment's *current* state (the "CEM + true simulator"
oracle of PlaNet, Table 1). They read ``env.unwrapped``: the oracle sees what agents never may.

Every adapter has ``returns(actions) -> np.ndarray`` (one return per candidate sequence,
``actions`` of shape ``(candidates, horizon, ...)``, one action per step of the ID, so an ID with
action repeat R applies each R times) and leaves the real environment exactly as it found it.

* :class:`MuJoCoRollout` — dm_control tasks (``wmenvs/DMC-*``): the full integration state
  (``mj_getState``, incl. time and solver warm start) is saved and restored around each
  candidate, the task's own ``before_step / physics.step / after_step / get_reward`` run as
  in ``dm_control.rl.control.Environment.step``, and a terminal step (discount 0) ends the
  candidate's rollout.
* :class:`MuJoCoBatchRollout` — the fast path for the tasks of
  :data:`~wmagents.planners.dmc_rewards.BATCH_REWARDS` (the six PlaNet tasks, none of which
  terminates and none of which has mocap bodies or equality constraints): all candidates in
  one ``mujoco.rollout`` call, in C and on ``threads`` threads, from the env's physics state
  and solver warm start; rewards computed from the recorded states. Same returns as
  :class:`MuJoCoRollout` to rounding, 9x faster with the paper's planner on cartpole
  (``docs/planet.md``).
* :class:`TableRollout` — gridworlds: the transition table ``P`` and the goal cell, vectorised
  over candidates (reward +1 on the goal, -1 elsewhere, as the env's ``step``).
* :class:`CopyRollout` — any picklable env, e.g. ShapeHerd: a ``copy.deepcopy`` of the
  unwrapped env (its pymunk world *and* its RNG) is stepped with the env's own ``step``.
"""

from __future__ import annotations

import copy

import gymnasium as gym
import mujoco
import numpy as np
from mujoco import rollout

from wmagents.planners.dmc_rewards import BATCH_REWARDS, States


class MuJoCoRollout:
    def __init__(self, env: gym.Env):
        dm_env = env.unwrapped._dm_env
        self.physics, self.task = dm_env.physics, dm_env.task
        self.n_sub_steps, self.action_repeat = dm_env._n_sub_steps, env.unwrapped.action_repeat
        model = self.physics.model.ptr
        self._spec = mujoco.mjtState.mjSTATE_INTEGRATION
        self._state = np.empty(mujoco.mj_stateSize(model, self._spec))

    def _save(self) -> None:
        mujoco.mj_getState(self.physics.model.ptr, self.physics.data.ptr, self._state, self._spec)

    def _restore(self) -> None:
        model, data = self.physics.model.ptr, self.physics.data.ptr
        mujoco.mj_setState(model, data, self._state, self._spec)
        mujoco.mj_forward(model, data)

    def returns(self, actions: np.ndarray) -> np.ndarray:
        self._save()
        out = np.zeros(len(actions))
        for c, sequence in enumerate(actions):
            self._restore()
            out[c] = self._rollout(sequence)
        self._restore()
        return out

    def _rollout(self, sequence: np.ndarray) -> float:
        total = 0.0
        for action in sequence:
            for _ in range(self.action_repeat):
                self.task.before_step(action, self.physics)
                self.physics.step(self.n_sub_steps)
                self.task.after_step(self.physics)
                total += float(self.task.get_reward(self.physics))
                if self.task.get_termination(self.physics) == 0.0:
                    return total
        return total


class MuJoCoBatchRollout:
    def __init__(self, env: gym.Env, threads: int = 1):
        inner = env.unwrapped
        dm_env = inner._dm_env
        self.physics, self.task, self.reward = dm_env.physics, dm_env.task, BATCH_REWARDS[
            inner.domain, inner.task]
        self.n_sub_steps, self.action_repeat = dm_env._n_sub_steps, inner.action_repeat
        model = self.physics.model.ptr
        if model.nmocap or model.neq:      # rollout starts from FULLPHYSICS + warm start only
            raise ValueError(f"{inner.domain}-{inner.task}: mocap bodies or equality "
                             "constraints are not carried into batched rollouts")
        self._datas = [mujoco.MjData(model) for _ in range(threads)]
        self._full = mujoco.mjtState.mjSTATE_FULLPHYSICS     # time, qpos, qvel, act, plugins
        self._initial = np.empty(mujoco.mj_stateSize(model, self._full))

    def returns(self, actions: np.ndarray) -> np.ndarray:
        """Returns of the candidates; ``-inf`` for one whose simulation diverged (MuJoCo then
        resets it to the model's default pose; the step-by-step scorer raises instead)."""
        model, data = self.physics.model.ptr, self.physics.data.ptr
        mujoco.mj_getState(model, data, self._initial, self._full)
        steps_per_action = self.action_repeat * self.n_sub_steps
        control = np.repeat(np.asarray(actions, np.float64), steps_per_action, axis=1)
        # one extra physics step: rollout records the sensors computed *during* a step, i.e.
        # of the state before it, so the sensors of state t sit at index t + 1
        control = np.concatenate([control, control[:, -1:]], axis=1)
        states, sensors = rollout.rollout(model, self._datas, self._initial[None], control,
                                          initial_warmstart=data.qacc_warmstart[None])
        env_steps = actions.shape[1] * self.action_repeat
        ends = np.arange(1, env_steps + 1) * self.n_sub_steps - 1   # state after each env step
        nq, nv = model.nq, model.nv
        batch = States(states[:, ends, 1:1 + nq], states[:, ends, 1 + nq:1 + nq + nv],
                       control[:, ends], sensors[:, ends + 1])
        total = self.reward(self.physics, self.task, batch).sum(axis=1)
        # a reset sets time back to 0, so a diverged rollout ends early in simulated time
        final_time = self._initial[0] + control.shape[1] * model.opt.timestep
        return np.where(states[:, -1, 0] < final_time - model.opt.timestep / 2, -np.inf, total)


class TableRollout:
    def __init__(self, env: gym.Env):
        self.env = env.unwrapped
        self.table = np.asarray(self.env.P)

    def returns(self, actions: np.ndarray) -> np.ndarray:
        cell = np.full(len(actions), self.env.agent_cell)
        goal, total = self.env.goal_cell, np.zeros(len(actions))
        for step in np.asarray(actions, np.int64).T:
            total += np.where(cell == goal, 1.0, -1.0)
            cell = self.table[cell, step]
        return total


class CopyRollout:
    def __init__(self, env: gym.Env):
        self.env = env.unwrapped

    def returns(self, actions: np.ndarray) -> np.ndarray:
        out = np.zeros(len(actions))
        for c, sequence in enumerate(actions):
            clone = copy.deepcopy(self.env)
            for action in sequence:
                _, reward, terminated, truncated, _ = clone.step(action)
                out[c] += reward
                if terminated or truncated:
                    break
        return out


def simulator_for(env: gym.Env, threads: int = 1):
    """The adapter for ``env``'s family (the batched one where a dm_control task has a batch
    reward; ``threads`` is used by it alone); ValueError for envs none of them can roll out."""
    inner = env.unwrapped
    if hasattr(inner, "_dm_env"):
        if (inner.domain, inner.task) in BATCH_REWARDS:
            return MuJoCoBatchRollout(env, threads)
        return MuJoCoRollout(env)
    if hasattr(inner, "P") and hasattr(inner, "goal_cell"):
        return TableRollout(env)
    if hasattr(inner, "_world"):
        return CopyRollout(env)
    raise ValueError(f"no true-simulator adapter for {type(inner).__name__} "
                     "(supported: dm_control tasks, gridworlds, ShapeHerd)")
