"""dm_control rewards over a batch of states, for the batched true simulator.

Each function returns, for every state of a batch, what ``task.get_reward(physics)`` returns
in that state; ``physics`` (the env's, forwarded at its current state) only supplies what
the batch does not change: model geometry and the world-fixed reacher target and arm base.
States are the arrays recorded by ``mujoco.rollout``: ``qpos``, ``qvel``, ``ctrl``
and ``sensordata`` of shape ``(..., n)``. Body positions and orientations, which the suite
reads from ``data.xpos`` / ``xmat``, are written out as the planar kinematics of each model
(hinges about one axis, slides along one), so the values agree with the suite's to rounding
(``tests/test_cem.py`` checks every task against the task's own ``get_reward``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from dm_control.suite import cheetah, finger, walker
from dm_control.utils.rewards import tolerance


class States(NamedTuple):
    qpos: np.ndarray
    qvel: np.ndarray
    ctrl: np.ndarray
    sensordata: np.ndarray


def _qpos(physics, states: States, joint: str) -> np.ndarray:
    return states.qpos[..., physics.model.jnt_qposadr[physics.model.name2id(joint, "joint")]]


def _qvel(physics, states: States, joint: str) -> np.ndarray:
    return states.qvel[..., physics.model.jnt_dofadr[physics.model.name2id(joint, "joint")]]


def _sensor(physics, states: States, name: str) -> np.ndarray:
    """First component of sensor ``name``."""
    return states.sensordata[..., physics.model.sensor_adr[physics.model.name2id(name, "sensor")]]


def cartpole_swingup(physics, task, states: States) -> np.ndarray:
    """Smooth cartpole reward: upright x centered x small control x small velocity."""
    upright = (np.cos(_qpos(physics, states, "hinge_1")) + 1) / 2      # pole xmat zz
    centered = (1 + tolerance(_qpos(physics, states, "slider"), margin=2)) / 2
    small_control = (4 + tolerance(states.ctrl[..., 0], margin=1, value_at_margin=0,
                                   sigmoid="quadratic")) / 5
    small_velocity = (1 + tolerance(_qvel(physics, states, "hinge_1"), margin=5)) / 2
    return upright * small_control * small_velocity * centered


def reacher(physics, task, states: States) -> np.ndarray:
    """1 while the finger touches the target: two links turning about z from the arm's base."""
    model = physics.named.model
    base = physics.named.data.xpos["arm", :2]
    hand, tip = model.body_pos["hand", :2], model.body_pos["finger", :2] + model.geom_pos["finger", :2]
    shoulder = _qpos(physics, states, "shoulder")
    elbow = shoulder + _qpos(physics, states, "wrist")
    finger_x = (base[0] + hand[0] * np.cos(shoulder) - hand[1] * np.sin(shoulder)
                + tip[0] * np.cos(elbow) - tip[1] * np.sin(elbow))
    finger_y = (base[1] + hand[0] * np.sin(shoulder) + hand[1] * np.cos(shoulder)
                + tip[0] * np.sin(elbow) + tip[1] * np.cos(elbow))
    target = physics.named.data.geom_xpos["target", :2]
    distance = np.hypot(target[0] - finger_x, target[1] - finger_y)
    return tolerance(distance, (0, model.geom_size[["target", "finger"], 0].sum()))


def cheetah_run(physics, task, states: States) -> np.ndarray:
    speed = _sensor(physics, states, "torso_subtreelinvel")
    return tolerance(speed, bounds=(cheetah._RUN_SPEED, float("inf")), margin=cheetah._RUN_SPEED,
                     value_at_margin=0, sigmoid="linear")


def finger_spin(physics, task, states: States) -> np.ndarray:
    """1 while the hinge spins faster than the threshold (its ``jointvel`` sensor is ``qvel``)."""
    return (_qvel(physics, states, "hinge") <= -finger._SPIN_VELOCITY).astype(float)


def ball_in_cup(physics, task, states: States) -> np.ndarray:
    """1 while the ball is inside the cup's target box; cup and ball move on x/z slides."""
    model = physics.named.model
    target = (model.body_pos["cup", [0, 2]] + model.site_pos["target", [0, 2]]
              + np.stack([_qpos(physics, states, "cup_x"), _qpos(physics, states, "cup_z")], -1))
    ball = model.body_pos["ball", [0, 2]] + np.stack(
        [_qpos(physics, states, "ball_x"), _qpos(physics, states, "ball_z")], -1)
    inside = np.abs(target - ball) < model.site_size["target", [0, 2]] - model.geom_size["ball", 0]
    return inside.all(-1).astype(float)


def planar_walker(physics, task, states: States) -> np.ndarray:
    """Stand (torso height, uprightness) times move (centre-of-mass speed) as in the suite."""
    height = physics.named.model.body_pos["torso", "z"] + _qpos(physics, states, "rootz")
    standing = tolerance(height, bounds=(walker._STAND_HEIGHT, float("inf")),
                         margin=walker._STAND_HEIGHT / 2)
    upright = (1 + np.cos(_qpos(physics, states, "rooty"))) / 2        # torso xmat zz
    stand_reward = (3 * standing + upright) / 4
    if task._move_speed == 0:
        return stand_reward
    move_reward = tolerance(_sensor(physics, states, "torso_subtreelinvel"),
                            bounds=(task._move_speed, float("inf")), margin=task._move_speed / 2,
                            value_at_margin=0.5, sigmoid="linear")
    return stand_reward * (5 * move_reward + 1) / 6


BatchReward = Callable[[object, object, States], np.ndarray]
BATCH_REWARDS: dict[tuple[str, str], BatchReward] = {
    ("cartpole", "swingup"): cartpole_swingup,
    ("reacher", "easy"): reacher,
    ("reacher", "hard"): reacher,
    ("cheetah", "run"): cheetah_run,
    ("finger", "spin"): finger_spin,
    ("ball_in_cup", "catch"): ball_in_cup,
    ("walker", "stand"): planar_walker,
    ("walker", "walk"): planar_walker,
    ("walker", "run"): planar_walker,
}
