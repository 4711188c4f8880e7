"""The DynE Reacher family (Whitney et al., 2020, appendix A): one 2-link arm, three tasks.

Facts read off the authors' released code (tabled in ``docs/mujoco_arms.md``). The MJCF files
(``assets/reacher_*.xml``) are written for wmenvs; the arm and arena live in
``assets/reacher_arm.xml`` and are included by each task.
"""

from __future__ import annotations

import numpy as np

from wmenvs.mujoco.base import MujocoArmEnv, control_cost, distance

ARM_QVEL_NOISE = 0.005


class ReacherFamilyEnv(MujocoArmEnv):
    """Shared pieces of the three Reacher tasks (arm joints are qpos/qvel 0 and 1)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}
    frame_skip = 2
    camera = "track"

    def _arm_angle_features(self) -> list[np.ndarray]:
        angles = self.data.qpos[:2]
        return [np.cos(angles), np.sin(angles)]

    def _randomize_arm(self, num_joints: int = 2) -> None:
        self.data.qpos[:num_joints] = self.np_random.uniform(-np.pi, np.pi, num_joints)
        self.data.qvel[:2] = self.np_random.uniform(-ARM_QVEL_NOISE, ARM_QVEL_NOISE, 2)

    def _set_target(self, x: float, z: float) -> None:
        self.data.mocap_pos[0] = (x, 0.0, z)

    def _target_xz(self) -> np.ndarray:
        return self.data.mocap_pos[0, [0, 2]].copy()


class ReacherVerticalEnv(ReacherFamilyEnv):
    """Move the fingertip of a 2-link arm that hangs in a vertical plane onto a target.

    ## Description
    DynE's "source" task (Whitney et al., 2020, appendix A, figure 6): Gym's Reacher turned into
    the vertical x-z plane with gravity. The shoulder sits at height 0.25 above a floor, between
    two 45-degree side planes, in front of a backdrop; every geom but the target collides.

    ## Action Space
    ``Box(-1, 1, (2,), float32)``: torques on the shoulder and elbow (motor gear 200).

    ## Observation Space
    ``obs_type="state"``: ``Box(-inf, inf, (11,), float64)`` = cos q (2), sin q (2),
    target x, z (2), joint velocities (2), fingertip - target xyz (3).
    ``obs_type="pixels"``: ``Box(0, 255, (64, 64, 3), uint8)`` from the "track" camera.

    ## Rewards
    ``reward_dist + reward_ctrl`` with ``reward_dist = -||fingertip - target||`` and
    ``reward_ctrl = -||a||^2``, both in ``info``; computed from the state after the step.

    ## Starting State
    Joint angles U(-pi, pi), joint velocities U(-0.005, 0.005), target x U(-0.2, 0.2) and
    z 0.25 + U(-0.2, 0.2); resampled until the arm touches nothing.

    ## Episode End
    Never terminates; the registered IDs truncate after 100 steps (2 s at dt 0.02).

    ## Arguments
    ``obs_type`` ("state" | "pixels"), ``image_size`` (side of pixel observations and renders,
    default 64), ``visual_profile`` ("minimal" | "standard" | "exact", see ``wmenvs.rendering``),
    ``render_mode`` (None | "rgb_array"), ``frame_stack`` (pixels only: the
    last k frames on the channel axis, oldest first, ``(64, 64, 3k)``; DynE's protocol IDs
    ``wmenvs/DynE-<Task>Pixels-v0`` use 4).

    ## Version History
    * v0 (wmenvs): MuJoCo 3 rewrite of the DynE release (mujoco-py). Deviations: the reward
      reads the state after the step (the original read it before); the target is a mocap body
      (the original moved the body in the model); pixel observations are rendered directly at
      64x64 with shadows and anti-aliasing off (the paper rendered 256x256 and resized).
    """

    xml_file = "reacher_vertical.xml"
    state_size = 11

    def _randomize_state(self) -> None:
        self._randomize_arm()
        x, dz = self.np_random.uniform(-0.2, 0.2, 2)
        self._set_target(x, 0.25 + dz)

    def _state_vector(self) -> np.ndarray:
        fingertip_to_target = self.body_pos("fingertip") - self.data.mocap_pos[0]
        return np.concatenate([*self._arm_angle_features(), self._target_xz(), self.data.qvel[:2],
                               fingertip_to_target])

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        return {"reward_dist": -distance(self.body_pos("fingertip"), self.data.mocap_pos[0]),
                "reward_ctrl": control_cost(action, 1.0)}


class ReacherTurnEnv(ReacherFamilyEnv):
    """Turn a free-spinning bar with the Reacher arm until the bar's tip reaches a target.

    ## Description
    DynE's ReacherTurn (appendix A, after dm_control's finger-turn): the ReacherVertical arm
    and, at (0.35, 0, 0.25), a spinner on an unlimited hinge (damping 3, friction loss 0.1)
    made of two capsules; its grey ``tip`` site is 0.14 from the hinge.

    ## Action Space
    ``Box(-1, 1, (2,), float32)``: shoulder and elbow torques (gear 200).

    ## Observation Space
    ``obs_type="state"``: ``Box(-inf, inf, (11,), float64)`` = cos q_arm (2), sin q_arm (2),
    target x, z (2), joint velocities of arm and spinner (3), tip x, z (2).
    ``obs_type="pixels"``: ``Box(0, 255, (64, 64, 3), uint8)`` from the "track" camera.

    ## Rewards
    ``reward_dist + reward_ctrl`` with ``reward_dist = -10 ||tip - target||`` and
    ``reward_ctrl = -0.5 ||a||^2`` (both in ``info``), from the state after the step.

    ## Starting State
    Arm and spinner angles U(-pi, pi), arm velocities U(-0.005, 0.005), target on the circle
    of radius 0.15 around the hinge at an angle U(-pi, pi); resampled until nothing touches.

    ## Episode End
    Never terminates; the registered IDs truncate after 100 steps.

    ## Arguments
    As :class:`ReacherVerticalEnv`.

    ## Version History
    * v0 (wmenvs): MuJoCo 3 rewrite of the DynE release. Deviations: reward from the state
      after the step; mocap target; 64x64 pixels rendered directly with the "minimal" visual
      profile; the spinner hinge inherits the arm's joint armature 1 (not stated in the spec).
    """

    xml_file = "reacher_turn.xml"
    state_size = 11
    spinner_center = np.array([0.35, 0.25])
    target_radius = 0.15

    def _randomize_state(self) -> None:
        self._randomize_arm(num_joints=3)
        angle = self.np_random.uniform(-np.pi, np.pi)
        x, z = self.spinner_center + self.target_radius * np.array([np.cos(angle), np.sin(angle)])
        self._set_target(x, z)

    def _tip(self) -> np.ndarray:
        return self.data.site("tip").xpos.copy()

    def _state_vector(self) -> np.ndarray:
        return np.concatenate([*self._arm_angle_features(), self._target_xz(), self.data.qvel[:3],
                               self._tip()[[0, 2]]])

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        return {"reward_dist": -10.0 * distance(self._tip(), self.data.mocap_pos[0]),
                "reward_ctrl": control_cost(action, 0.5)}


class ReacherPushEnv(ReacherFamilyEnv):
    """Push a cube along the floor onto a target with the Reacher arm.

    ## Description
    DynE's ReacherPush (appendix A, after dm_control's stacker): the ReacherVertical arm and a
    0.08 m cube (0.512 kg) that slides in x and z and turns about +y as in the release
    (armature 1, no damping).

    ## Action Space
    ``Box(-1, 1, (2,), float32)``: shoulder and elbow torques (gear 200).

    ## Observation Space
    ``obs_type="state"``: ``Box(-inf, inf, (14,), float64)`` = cos q_arm (2), sin q_arm (2),
    box x, z, angle (3), target x, z (2), joint velocities of arm and box (5).
    ``obs_type="pixels"``: ``Box(0, 255, (64, 64, 3), uint8)`` from the "track" camera.

    ## Rewards
    ``reward_dist + reward_near + reward_ctrl`` = ``-10 ||box - target||``
    ``- 0.5 ||fingertip - box||`` ``- ||a||^2`` (terms in ``info``), after the step.

    ## Starting State
    Arm angles U(-pi, pi), arm velocities U(-0.005, 0.005), box x U(-0.2, 0.2), z U(0.03, 0.05),
    angle U(-pi, pi), box at rest; target x U(-0.2, 0.2), z 0.03. Resampled until nothing
    touches (most proposals put the box into the floor: about 14 proposals per reset).

    ## Episode End
    Never terminates; the registered IDs truncate after 100 steps.

    ## Arguments
    As :class:`ReacherVerticalEnv`.

    ## Version History
    * v0 (wmenvs): MuJoCo 3 rewrite of the DynE release. Deviations: reward from the state
      after the step; mocap target; 64x64 pixels rendered directly with the "minimal" visual
      profile; arm velocities U(-0.005, 0.005) as in the other two tasks (not stated in the
      spec for this task).
    """

    xml_file = "reacher_push.xml"
    state_size = 14

    def _randomize_state(self) -> None:
        self._randomize_arm()
        self.data.qpos[2] = self.np_random.uniform(-0.2, 0.2)
        self.data.qpos[3] = self.np_random.uniform(0.03, 0.05)
        self.data.qpos[4] = self.np_random.uniform(-np.pi, np.pi)
        self._set_target(self.np_random.uniform(-0.2, 0.2), 0.03)

    def _state_vector(self) -> np.ndarray:
        return np.concatenate([*self._arm_angle_features(), self.data.qpos[2:5], self._target_xz(),
                               self.data.qvel[:5]])

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        box = self.body_pos("box")
        return {"reward_dist": -10.0 * distance(box, self.data.mocap_pos[0]),
                "reward_near": -0.5 * distance(self.body_pos("fingertip"), box),
                "reward_ctrl": control_cost(action, 1.0)}
