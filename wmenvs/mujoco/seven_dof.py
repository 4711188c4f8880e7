"""The 7-DoF family used by DynE (appendix A): Gym's Pusher, Striker and Thrower on MuJoCo 3.

Facts read off the last openai/gym release that shipped the three tasks (tabled in
``docs/mujoco_arms.md``). The MJCF files ``assets/{pusher,striker,thrower}.xml`` are written for wmenvs.
All three observe ``qpos[:7], qvel[:7]``, end-effector, object and goal positions (23 numbers).
"""

from __future__ import annotations

import numpy as np

from wmenvs.mujoco.base import MujocoArmEnv, control_cost, distance

ARM_JOINTS = 7

_COMMON_ARGUMENTS = """``obs_type`` ("state" | "pixels"), ``image_size`` (side of pixel observations and renders,
    default 64), ``visual_profile`` ("minimal" | "standard" | "exact", see ``wmenvs.rendering``),
    ``render_mode`` (None | "rgb_array"), ``frame_stack`` (pixels only: the
    last k frames on the channel axis, oldest first, ``(64, 64, 3k)``; DynE's protocol IDs
    ``wmenvs/DynE-<Task>Pixels-v0`` use 4)."""


class SevenDofEnv(MujocoArmEnv):
    """Shared pieces: dt 0.05 (Euler 0.01 x 5), the "overview" camera, the 23-number state."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}
    frame_skip = 5
    camera = "overview"
    state_size = 23
    end_effector = "tips_arm"
    object_body = "object"

    def _state_vector(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[:ARM_JOINTS], self.data.qvel[:ARM_JOINTS],
                               self.body_pos(self.end_effector), self.body_pos(self.object_body),
                               self.body_pos("goal")])

    def _arm_velocity_noise(self, scale: float) -> None:
        self.data.qvel[:ARM_JOINTS] = self.np_random.uniform(-scale, scale, ARM_JOINTS)


class PusherEnv(SevenDofEnv):
    __doc__ = f"""Push a puck onto a goal disc with the fork of a 7-DoF PR2-like arm.

    ## Description
    Gym's Pusher (used by DynE as the 7-DoF source task): seven hinges from shoulder pan to
    wrist roll, a fork of three capsules at the wrist, a puck (cylinder r 0.05) on damped x/y
    slides and a fixed red goal disc (r 0.08) at (0.45, -0.05). Gravity off.

    ## Action Space
    ``Box(-2, 2, (7,), float32)``: joint torques (gear 1).

    ## Observation Space
    ``obs_type="state"``: ``Box(-inf, inf, (23,), float64)`` = arm qpos (7), arm qvel (7),
    end-effector ``tips_arm`` xyz (the wrist origin), puck xyz, goal xyz.
    ``obs_type="pixels"``: ``Box(0, 255, (64, 64, 3), uint8)`` from the fixed "overview" camera.

    ## Rewards
    ``reward_dist + reward_ctrl + reward_near`` = ``-||puck - goal||`` ``- 0.1 ||a||^2``
    ``- 0.5 ||puck - tips_arm||`` (terms in ``info``), from the state after the step.

    ## Starting State
    Arm at zero with velocities U(-0.005, 0.005); puck offset from the goal by y U(-0.3, 0),
    x U(-0.2, 0.2), redrawn until the offset is longer than 0.17; puck at rest.

    ## Episode End
    Never terminates; the registered IDs truncate after 100 steps (5 s).

    ## Arguments
    {_COMMON_ARGUMENTS}

    ## Version History
    * v0 (wmenvs): MuJoCo 3 rewrite of Gym's Pusher-v2. Deviations: reward from the state after
      the step; puck density 10 (7.9 g): the original 1e-5 and Gymnasium v5's 0.01 both let
      the fork pass through the puck on MuJoCo 3.17 (the slide damping's implicit integration
      swallows the contact push; Gymnasium's Pusher-v5 moves it 6 mm where this one moves it
      25 cm), while at 10 it still stops within one step once the fork lets go; the goal is a fixed body (the original had unused slides, so its qpos was 11
      long); the puck does not collide with the table (it rides on slides and contacts were
      frictionless, so nothing changes); the arm's small decorative geoms are omitted, which
      changes link inertia slightly; 64x64 pixels from a fixed camera with the "minimal" profile.
    """

    xml_file = "pusher.xml"
    min_puck_offset = 0.17

    def _randomize_state(self) -> None:
        while True:
            offset_y = self.np_random.uniform(-0.3, 0.0)
            offset_x = self.np_random.uniform(-0.2, 0.2)
            if np.hypot(offset_x, offset_y) > self.min_puck_offset:
                break
        self.data.qpos[ARM_JOINTS:ARM_JOINTS + 2] = (offset_x, offset_y)
        self._arm_velocity_noise(0.005)

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        puck = self.body_pos("object")
        return {"reward_dist": -distance(puck, self.body_pos("goal")),
                "reward_ctrl": control_cost(action, 0.1),
                "reward_near": -0.5 * distance(puck, self.body_pos("tips_arm"))}


class StrikerEnv(SevenDofEnv):
    __doc__ = f"""Strike a ball with a flat paddle so that it rolls into a goal coaster.

    ## Description
    Gym's Striker: the Pusher arm with a flat striker head (box 0.006 x 0.24 x 0.1), a ball
    (r 0.05, 0.157 kg) on x/y slides at (0.5, -0.175) and a heavy free-floating coaster with
    three upright plates that faces the ball. Frictionless; gravity off.

    ## Action Space
    ``Box(-3, 3, (7,), float32)``: joint torques (gear 1).

    ## Observation Space
    ``obs_type="state"``: ``Box(-inf, inf, (23,), float64)`` = arm qpos (7), arm qvel (7),
    ``tips_arm`` xyz (the wrist origin), ball xyz, goal xyz.
    ``obs_type="pixels"``: ``Box(0, 255, (64, 64, 3), uint8)`` from the fixed "overview" camera.

    ## Rewards
    ``reward_dist + reward_ctrl + reward_near`` with ``reward_dist = -3 d_min`` (d_min: the
    smallest ball-goal distance so far this episode), ``reward_ctrl = -0.1 ||a||^2`` and
    ``reward_near = 0.5 r_near``: ``r_near = -||ball - tips_arm||`` until the first strike
    (ball within 0.1 of ``tips_arm``), then ``-||ball - strike_pos||``. All after the step.
    ``info`` also holds ``struck``, ``strike_pos`` (zeros before the strike) and ``min_goal_distance``.

    ## Starting State
    Arm at zero with velocities U(-0.1, 0.1); ball at rest at (0.5, -0.175); goal x U(0.15, 0.7),
    y U(0.1, 1.0) (redrawn while within 0.17 of the ball), turned so its open side faces the ball.

    ## Episode End
    Never terminates; the registered IDs truncate after 100 steps (5 s).

    ## Arguments
    {_COMMON_ARGUMENTS}

    ## Version History
    * v0 (wmenvs): MuJoCo 3 rewrite of Gym's Striker-v2 (removed from Gym before 0.23).
      Deviations: reward from the state after the step; the strike position is frozen at the
      first strike (the original kept a view of live simulator memory, so it moved with the
      arm, and re-armed on every later touch); the goal's heading is a proper yaw quaternion
      (the original wrote angle/3.14 into one quaternion component); the ball does not collide
      with the table (it rides on frictionless slides); the head has no crossbar capsule;
      64x64 pixels from a fixed camera with the "minimal" profile.
    """

    xml_file = "striker.xml"
    ball_start = np.array([0.5, -0.175])
    strike_threshold = 0.1
    goal_qpos = slice(ARM_JOINTS + 2, ARM_JOINTS + 9)  # the coaster's free joint: xyz + quaternion

    def _randomize_state(self) -> None:
        while True:
            goal = np.array([self.np_random.uniform(0.15, 0.7), self.np_random.uniform(0.1, 1.0)])
            if np.linalg.norm(self.ball_start - goal) > 0.17:
                break
        toward_ball = (self.ball_start - goal) / np.linalg.norm(self.ball_start - goal)
        yaw = np.arctan2(toward_ball[0], -toward_ball[1])  # the plates' open side (-y) faces the ball
        self.data.qpos[self.goal_qpos] = (*goal, self.model.body("goal").pos[2],
                                          np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2))
        self._arm_velocity_noise(0.1)

    def _reset_task(self) -> None:
        self._min_goal_distance = np.inf
        self._strike_pos: np.ndarray | None = None

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        ball, tip = self.body_pos("object"), self.body_pos("tips_arm")
        self._min_goal_distance = min(self._min_goal_distance, distance(ball, self.body_pos("goal")))
        if self._strike_pos is None and distance(ball, tip) < self.strike_threshold:
            self._strike_pos = tip  # body_pos returned a copy: frozen at the event
        near = distance(ball, tip if self._strike_pos is None else self._strike_pos)
        return {"reward_dist": -3.0 * self._min_goal_distance,
                "reward_ctrl": control_cost(action, 0.1),
                "reward_near": -0.5 * near}

    def _task_info(self) -> dict:
        return {"struck": self._strike_pos is not None, "strike_pos": copy_or_zeros(self._strike_pos),
                "min_goal_distance": float(self._min_goal_distance)}


class ThrowerEnv(SevenDofEnv):
    __doc__ = f"""Throw a ball from a scoop into a tray on the table.

    ## Description
    Gym's Thrower: a nearly massless 7-DoF arm (density 1e-4, armature 0.75, damping 1) with
    Gym's joint axes and frames, ending in a cage-like scoop of seven three-segment petals; a
    ball (r 0.03, density 25) dropped at (0.5, -0.8, 0.275) falls into it. A tray with low walls is the goal. Gravity on.

    ## Action Space
    ``Box([-10]*4 + [-15]*3, [10]*4 + [15]*3, float32)``: joint torques (gear 1).

    ## Observation Space
    ``obs_type="state"``: ``Box(-inf, inf, (23,), float64)`` = arm qpos (7), arm qvel (7),
    wrist xyz (the scoop's base), ball xyz, goal xyz.
    ``obs_type="pixels"``: ``Box(0, 255, (64, 64, 3), uint8)`` from the fixed "overview" camera.

    ## Rewards
    ``reward_dist + reward_ctrl`` with ``reward_ctrl = -0.002 ||a||^2`` and
    ``reward_dist = -||ball_xy - goal_xy||`` until the ball first drops below z = -0.25, then
    ``-||landing_xy - goal_xy||`` with the landing position frozen at that moment. After the
    step. ``info`` also holds ``landed`` and ``landing_pos`` (zeros before landing).

    ## Starting State
    Arm at zero with velocities U(-0.005, 0.005); ball at rest at (0.5, -0.8, 0.275); tray at
    (0.575, 0.5, -0.328) + U(-0.3, 0.3) in x and y.

    ## Episode End
    Never terminates; the registered IDs truncate after 100 steps (5 s).

    ## Arguments
    {_COMMON_ARGUMENTS}

    ## Version History
    * v0 (wmenvs): MuJoCo 3 rewrite of Gym's Thrower-v2 (removed from Gym before 0.23).
      Deviations: reward from the state after the step; the landing position is frozen when the
      ball first drops below -0.25 (the original kept a live view of simulator memory); the
      tray is a mocap body that cannot be pushed (the original sat on damped slides); the
      decorative "eye" spheres are left out; open-loop the end effector stays within 2 cm of
      the original's over 100 steps (``docs/mujoco_arms.md``); 64x64 pixels from a fixed
      camera with the "minimal" profile.
    """

    xml_file = "thrower.xml"
    end_effector = "wrist"
    object_body = "ball"
    landing_height = -0.25

    def _randomize_state(self) -> None:
        goal_offset = self.np_random.uniform(-0.3, 0.3, 2)
        self.data.mocap_pos[0, :2] = self.model.body("goal").pos[:2] + goal_offset
        self._arm_velocity_noise(0.005)

    def _reset_task(self) -> None:
        self._landing_pos: np.ndarray | None = None

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        ball = self.body_pos("ball")
        if self._landing_pos is None and ball[2] < self.landing_height:
            self._landing_pos = ball  # a copy: frozen at the event
        scored = ball if self._landing_pos is None else self._landing_pos
        return {"reward_dist": -distance(scored[:2], self.body_pos("goal")[:2]),
                "reward_ctrl": control_cost(action, 0.002)}

    def _task_info(self) -> dict:
        return {"landed": self._landing_pos is not None, "landing_pos": copy_or_zeros(self._landing_pos)}


def copy_or_zeros(position: np.ndarray | None) -> np.ndarray:
    """An event position for ``info``: a fresh copy, or zeros before the event (fixed keys and
    shapes keep vector envs and Gymnasium's checker happy; the ``struck``/``landed`` flag tells)."""
    return np.zeros(3) if position is None else position.copy()
