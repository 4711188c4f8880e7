"""MuJoCo arm tasks of DynE (Whitney et al., 2020): the Reacher family and the 7-DoF family.

Importing this package loads the ``mujoco`` bindings; ``import wmenvs`` alone does not.
"""

from wmenvs.mujoco.reacher import ReacherPushEnv, ReacherTurnEnv, ReacherVerticalEnv
from wmenvs.mujoco.seven_dof import PusherEnv, StrikerEnv, ThrowerEnv

__all__ = ["PusherEnv", "ReacherPushEnv", "ReacherTurnEnv", "ReacherVerticalEnv", "StrikerEnv",
           "ThrowerEnv"]
