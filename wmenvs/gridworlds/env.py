"""Random-vector GridWorld / FourRooms / Torus (Saanum & Schulz, *Learning Parsimonious
Dynamics for Generalization in RL*, §4 and A.5-A.7): one env per task over three worlds."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from wmenvs.actions import validate_discrete_action
from wmenvs.wrappers.guard import check_reset_arguments
from wmenvs.gridworlds.render import HumanWindow, draw_frame
from wmenvs.gridworlds.tasks import (
    DEFAULT_OBS_DIM, DEFAULT_OBS_MEAN, DEFAULT_START_GOAL, DEFAULT_WORLD_SEED,
    PLANNING_EPISODE_STEPS, POLICY_EPISODE_STEPS, best_return, check_cell, check_distinct,
    check_int, check_real, draw_problem,
)
from wmenvs.gridworlds.worlds import ACTION_NAMES, get_world, observation_table

_RESET_OPTIONS = ("start", "goal")


def check_options(options) -> dict:
    """``reset`` options may only name ``start`` and/or ``goal``."""
    options = {} if options is None else options
    unknown = set(options) - set(_RESET_OPTIONS)
    if unknown:
        raise ValueError(f"reset options {sorted(unknown)} are unknown; expected some of {_RESET_OPTIONS}")
    return options


class GridNavigationEnv(gym.Env):
    """Policy-learning task: walk from a fixed start to a fixed goal and stay there.

    ## Description
    The agent moves on a hidden grid (GridWorld 11x11 with boundary walls, FourRooms 11x11 with
    the Sutton-Precup-Singh walls, Torus 13x13 wrapping on every edge) but only *sees* a fixed
    random vector per cell (paper §4), so the topology must be discovered from transitions.

    ## Action Space
    ``Discrete(5)``: 0 LEFT, 1 RIGHT, 2 UP, 3 DOWN, 4 STAY. A move into a wall leaves the agent
    in place. (The paper one-hot encodes actions; agents do that themselves.)

    ## Observation Space
    ``Box(-inf, inf, (obs_dim + 4,), float32)`` for GridWorld/FourRooms: the cell's vector
    ``s ~ N(obs_mean, I)`` followed by 4 bits, 1 where LEFT, RIGHT, UP, DOWN is blocked (§4.1).
    Torus: ``(obs_dim,)``, no bits (§4.2). The vectors come from ``world_seed``, not from the
    episode seed, and stay fixed for a whole experiment.

    ## Rewards
    +1 if the agent is on the goal when it acts, -1 otherwise (paper §4.3: "each state except
    for the goal state yields a reward of -1 when exited"; reading STAY on the goal as +1 too is
    this project's). The best return is ``250 - 2 * distance(start, goal)``
    (:attr:`optimal_return`, computed for :attr:`episode_steps`, the registered length).

    ## Starting State
    Fixed ``start`` (``reset(options={"start": ..., "goal": ...})`` overrides for one episode).

    ## Episode End
    Never terminates (the goal is not absorbing); truncated after 250 steps by the registered
    ``TimeLimit``.

    ## Arguments
    ``world`` ("GridWorld" | "FourRooms" | "Torus"), ``obs_dim`` (64), ``world_seed`` (0),
    ``obs_mean`` (0.0), ``start`` / ``goal`` as (row, col) (defaults per world, see
    ``docs/gridworlds.md``), ``render_mode`` (None | "rgb_array" | "human").
    Deviations: the paper fixes none of obs_dim, world_seed, obs_mean, start, goal, the
    FourRooms wall cells or the action order; they are this project's decisions (spec
    ``gridworlds.md``). ``info["cell"]`` is the agent's (row, col).

    Ground truth on the unwrapped env: :attr:`P` ``[cell, action] -> cell``,
    :attr:`observation_table` ``[cell]``, :attr:`distances` ``[cell, cell]`` (BFS),
    :attr:`optimal_return`, :attr:`world` (coords, wall bits, layout).

    ## Version History
    * v0: initial version (the authors' code is not public; constants from the project spec).
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 15}
    episode_steps = POLICY_EPISODE_STEPS
    random_problems = False  # whether reset() without options draws start and goal from np_random

    def __init__(self, world: str = "GridWorld", obs_dim: int = DEFAULT_OBS_DIM,
                 world_seed: int = DEFAULT_WORLD_SEED, obs_mean: float = DEFAULT_OBS_MEAN,
                 start=None, goal=None, render_mode: str | None = None):
        self.world = get_world(world)
        obs_dim = check_int("obs_dim", obs_dim, 1)
        world_seed = check_int("world_seed", world_seed, 0)
        obs_mean = check_real("obs_mean", obs_mean)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode={render_mode!r}; expected None or one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self._fixed_start, self._fixed_goal = self._fixed_problem(start, goal)

        self.observation_table = observation_table(world, obs_dim, world_seed, obs_mean)
        self.P = self.world.P
        self.distances = self.world.distances
        self.action_space = spaces.Discrete(len(ACTION_NAMES))
        self.observation_space = self._make_observation_space()
        # Step-time tables: Python lists index faster than numpy scalars.
        self._next_cell = self.P.tolist()
        self._cell_rows = list(self.observation_table)
        self._coords = list(self.world.coords)
        self._cell = self._start = self._goal = None
        self._window = HumanWindow(f"wmenvs {world}", self.metadata["render_fps"]) if render_mode == "human" else None

    # ------------------------------------------------------------------ task definition
    def _fixed_problem(self, start, goal) -> tuple[int, int]:
        default_start, default_goal = DEFAULT_START_GOAL[self.world.name]
        start = check_cell("start", default_start if start is None else start, self.world)
        goal = check_cell("goal", default_goal if goal is None else goal, self.world)
        check_distinct(start, goal, self.world)
        return start, goal

    def _new_problem(self, options: dict, rng: np.random.Generator | None) -> tuple[int, int]:
        """(start, goal) cells of a new episode; ``rng`` is used only by :attr:`random_problems` tasks."""
        start, goal = self._fixed_start, self._fixed_goal
        if "start" in options:
            start = check_cell("options['start']", options["start"], self.world)
        if "goal" in options:
            goal = check_cell("options['goal']", options["goal"], self.world)
        check_distinct(start, goal, self.world)
        return start, goal

    def _make_observation_space(self) -> spaces.Space:
        return spaces.Box(-np.inf, np.inf, (self.observation_table.shape[1],), np.float32)

    def _observation(self, cell: int):
        return self._cell_rows[cell].copy()

    def _info(self, cell: int) -> dict:
        return {"cell": self._coords[cell].copy()}

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        check_reset_arguments(seed, options)
        super().reset(seed=seed)
        options = check_options(options)
        self._start, self._goal = self._new_problem(options, self.np_random if self.random_problems else None)
        self._cell = self._start
        if self._window is not None:
            self.render()
        return self._observation(self._cell), self._info(self._cell)

    def step(self, action):
        action = validate_discrete_action(action, self.action_space)
        cell = self._cell
        reward = 1.0 if cell == self._goal else -1.0
        self._cell = cell = self._next_cell[cell][action]
        if self._window is not None:
            self.render()
        return self._observation(cell), reward, False, False, self._info(cell)

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'human'")
            return None
        frame = draw_frame(self.world, self._cell, self._goal)
        if self.render_mode == "rgb_array":
            return frame
        self._window.show(frame)
        return None

    def close(self):
        if self._window is not None:
            self._window.close()

    # ------------------------------------------------------------------ ground truth
    @property
    def agent_cell(self) -> int:
        return self._cell

    @property
    def start_cell(self) -> int:
        return self._start

    @property
    def goal_cell(self) -> int:
        return self._goal

    @property
    def optimal_return(self) -> int:
        """Best return of the current episode: ``episode_steps - 2 * distance(start, goal)``."""
        return int(best_return(self.distances[self._start, self._goal], self.episode_steps))


class GridPlanningEnv(GridNavigationEnv):
    """Planning task: a new random start and goal every episode, goal-conditioned observation.

    ## Description
    Same worlds as :class:`GridNavigationEnv`; every episode is a new problem (paper §4.4,
    Algorithm 2).

    ## Action Space
    ``Discrete(5)`` as in :class:`GridNavigationEnv`.

    ## Observation Space
    ``Dict`` in the Gymnasium-Robotics goal convention: ``observation`` (the cell's vector as
    in the policy task), ``achieved_goal`` (= ``observation``), ``desired_goal`` (the goal
    cell's vector). ``info`` holds ``cell`` and ``goal_cell`` as (row, col).

    ## Rewards
    +1 if the agent is on the goal when it acts, -1 otherwise; best return ``50 - 2 * distance``.
    The paper does not state the planning env's reward (its planner scores
    ``exp(-||z - z_goal||)``); using the policy task's reward is this project's decision, as is
    the Dict observation.

    ## Starting State
    Start and goal uniform over ordered pairs of distinct free cells, drawn from ``np_random``
    at every reset (one draw per reset, :func:`wmenvs.gridworlds.tasks.draw_problem`);
    ``reset(options={"start": ..., "goal": ...})`` plays a given problem (both keys needed).
    :func:`wmenvs.gridworlds.planning_task_set` lists the 30 problems of a seed.

    ## Episode End
    Never terminates; truncated after 50 steps by the registered ``TimeLimit``.

    ## Arguments
    ``world``, ``obs_dim``, ``world_seed``, ``obs_mean``, ``render_mode`` as in
    :class:`GridNavigationEnv`. ``start`` / ``goal`` are refused: they are drawn per episode.

    ## Version History
    * v0: initial version.
    """

    episode_steps = PLANNING_EPISODE_STEPS
    random_problems = True

    def _fixed_problem(self, start, goal) -> tuple[None, None]:
        for name, value in (("start", start), ("goal", goal)):
            if value is not None:
                raise ValueError(f"{name}={value!r}: planning tasks draw start and goal at every reset; "
                                 "play a given problem with reset(options={'start': ..., 'goal': ...})")
        return None, None

    def _new_problem(self, options: dict, rng: np.random.Generator | None) -> tuple[int, int]:
        if not options:
            return draw_problem(rng, self.world.num_cells)
        if set(options) != set(_RESET_OPTIONS):
            raise ValueError(f"reset options {sorted(options)}: a planning problem needs both 'start' and 'goal'")
        return super()._new_problem(options, None)

    def _make_observation_space(self) -> spaces.Space:
        vector = super()._make_observation_space()
        return spaces.Dict({"observation": vector, "achieved_goal": vector, "desired_goal": vector})

    def _observation(self, cell: int):
        rows = self._cell_rows
        return {"observation": rows[cell].copy(), "achieved_goal": rows[cell].copy(),
                "desired_goal": rows[self._goal].copy()}

    def _info(self, cell: int) -> dict:
        return {"cell": self._coords[cell].copy(), "goal_cell": self._coords[self._goal].copy()}
