"""Task constants, argument checks and the planning task set (paper §4.3-4.4, A.7).

Which numbers are the paper's and which are this project's decisions is listed in
``docs/gridworlds.md``; every decision is a keyword argument with the default below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from gymnasium.utils import seeding

from wmenvs.gridworlds.worlds import World, get_world

POLICY_EPISODE_STEPS = 250  # paper §4.3: "Each episode lasts for 250 steps"
PLANNING_EPISODE_STEPS = 50  # paper §4.4: "an episode which lasted for 50 timesteps"
PLANNING_TASKS_PER_SEED = 30  # paper §4.4: "Each planning task consists of 30 such planning problems"

# Project decisions (spec table): fixed start and goal of the policy-learning task.
DEFAULT_START_GOAL = {
    "GridWorld": ((0, 0), (10, 10)),
    "FourRooms": ((10, 0), (0, 10)),
    "Torus": ((0, 0), (6, 6)),
}
DEFAULT_OBS_DIM = 64
DEFAULT_WORLD_SEED = 0
DEFAULT_OBS_MEAN = 0.0


def best_return(distance, horizon: int):
    """Optimal return of an episode: walk ``distance`` steps at -1, then STAY on the goal at +1.

    ``horizon - 2 * min(distance, horizon)``; works elementwise on arrays.
    """
    return horizon - 2 * np.minimum(distance, horizon)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, minimum: int) -> int:
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(name: str, value) -> float:
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def check_cell(name: str, value, world: World) -> int:
    """Cell number of a ``(row, col)`` pair; ``ValueError`` naming ``name`` otherwise."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or len(value) != 2 \
            or not all(_is_int(v) for v in value):
        raise ValueError(f"{name} must be a (row, col) pair of integers, got {value!r}")
    try:
        return world.cell_of(int(value[0]), int(value[1]))
    except ValueError as error:
        raise ValueError(f"{name}={tuple(int(v) for v in value)}: {error}") from None


def check_distinct(start: int, goal: int, world: World) -> None:
    if start == goal:
        raise ValueError(f"start and goal must differ, both are {tuple(world.coords[start])}")


def draw_problem(rng: np.random.Generator, num_cells: int) -> tuple[int, int]:
    """Start and goal cells uniform over ordered pairs of distinct cells (paper Algorithm 2).

    One ``integers`` draw per problem, so a batched env can replay it per sub-env cheaply.
    """
    pair = int(rng.integers(num_cells * (num_cells - 1)))
    start, goal = divmod(pair, num_cells - 1)
    return start, goal + (goal >= start)


@dataclass(frozen=True)
class PlanningProblem:
    """One (start, goal) problem of a task set, as (row, col) pairs, with its optimal return."""

    start: tuple[int, int]
    goal: tuple[int, int]
    distance: int
    best_return: int

    @property
    def options(self) -> dict:
        """``reset(options=...)`` that plays this problem on a ``<World>Planning-v0`` env."""
        return {"start": self.start, "goal": self.goal}


def planning_task_set(world: str, seed: int, num_tasks: int = PLANNING_TASKS_PER_SEED,
                      horizon: int = PLANNING_EPISODE_STEPS) -> tuple[PlanningProblem, ...]:
    """The ``num_tasks`` planning problems of ``seed`` on ``world``.

    They are exactly the problems a ``<world>Planning-v0`` env poses after ``reset(seed=seed)``
    followed by ``num_tasks - 1`` plain ``reset()`` calls, so an agent may either iterate over
    this list (``reset(options=problem.options)``) or simply reset the env: both see the same 30.
    """
    grid = get_world(world)
    seed = check_int("seed", seed, 0)
    num_tasks = check_int("num_tasks", num_tasks, 1)
    rng, _ = seeding.np_random(seed)  # the generator gymnasium's reset(seed=seed) creates
    problems = []
    for _ in range(num_tasks):
        start, goal = draw_problem(rng, grid.num_cells)
        distance = int(grid.distances[start, goal])
        problems.append(PlanningProblem(
            start=tuple(int(v) for v in grid.coords[start]),
            goal=tuple(int(v) for v in grid.coords[goal]),
            distance=distance, best_return=int(best_return(distance, horizon))))
    return tuple(problems)
