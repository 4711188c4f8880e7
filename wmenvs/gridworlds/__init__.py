"""Random-vector GridWorld, FourRooms and Torus (Saanum & Schulz, parsimonious dynamics, §4).

IDs ``wmenvs/<World>-v0`` (policy learning) and ``wmenvs/<World>Planning-v0`` (planning);
see ``docs/gridworlds.md``. :func:`planning_task_set` lists the 30 problems of a seed.
"""

from wmenvs.gridworlds.env import GridNavigationEnv, GridPlanningEnv
from wmenvs.gridworlds.tasks import PlanningProblem, best_return, planning_task_set
from wmenvs.gridworlds.worlds import ACTION_NAMES, WORLD_NAMES, World, get_world, observation_table

__all__ = [
    "ACTION_NAMES", "WORLD_NAMES", "GridNavigationEnv", "GridPlanningEnv", "PlanningProblem", "World",
    "best_return", "get_world", "observation_table", "planning_task_set",
]
