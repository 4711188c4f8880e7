"""MuJoCo locomotion for ALM (Ghugare et al. 2023, Table 1): Gymnasium v5 with fixed options.

``wmenvs/T-Ant-v0`` and ``wmenvs/T-Humanoid-v0`` are MBPO's truncated-observation tasks
(Janner et al. 2019), ``wmenvs/HalfCheetah-v0``, ``wmenvs/Walker2d-v0`` and
``wmenvs/Hopper-v0`` alias the v5 tasks so that the ALM suite is one list of wmenvs IDs. Each
class is Gymnasium's own env plus three things: the wmenvs action rules
(:func:`wmenvs.actions.validate_action`), pickling that keeps the simulation state (Gymnasium's
``EzPickle`` rebuilds a fresh env), and ``rgb_array``/``depth_array`` as the only render
modes (``human`` needs a display).

Residual differences to the v2 originals used by MBPO / ALM (mujoco-py): MuJoCo 3.17; v5
calls ``mj_rnePostConstraint``, so the contact-cost terms of Ant (weight 5e-4) and Humanoid
(5e-7) see real contact forces, where under mujoco-py >= 2.0 ``cfrc_ext`` stayed 0; v5 pays the
healthy reward only while healthy, v2 also on the terminal (unhealthy) step. Episodes are 1000
steps (``TimeLimit``), never ended by the env itself except by the v5 health checks.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import mujoco
from gymnasium.envs.mujoco.ant_v5 import AntEnv
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv
from gymnasium.envs.mujoco.hopper_v5 import HopperEnv
from gymnasium.envs.mujoco.humanoid_v5 import HumanoidEnv
from gymnasium.envs.mujoco.mujoco_env import MujocoEnv
from gymnasium.envs.mujoco.walker2d_v5 import Walker2dEnv

import wmenvs.rendering  # noqa: F401  (sets LP_NUM_THREADS before any GL init, see there)
from wmenvs.actions import validate_action

RENDER_MODES = ["rgb_array", "depth_array"]
_MUJOCO_ENV_OPTIONS = {"width", "height", "camera_id", "camera_name", "max_geom", "visual_options"}
_REBUILT_FIELDS = ("model", "data", "mujoco_renderer")


class _WmenvsLocomotion:
    """Mixed in before a Gymnasium v5 class; ``FIXED`` are the options that define the task.

    Sections shared by the five tasks (each class adds its Description and Observation Space):

    Action Space: the v5 env's ``Box(float32)`` of actuator ranges; NaN/inf/wrong shape or
    dtype raise ``ValueError``, out-of-range values are clipped (wmenvs rule; v5 itself would
    pass them to MuJoCo, which clamps to ``ctrlrange``, but charge the control cost on the raw
    action; here the cost is charged on the clipped one).
    Rewards, Starting State, Episode End: the v5 env's (see Gymnasium's docs and the module
    docstring for the differences to v2); 1000-step ``TimeLimit`` from the registration.
    Arguments: every v5 option except those in ``FIXED`` (``ValueError`` names a bad one);
    ``render_mode`` in ``("rgb_array", "depth_array")``.
    Version History: v0 (Gymnasium 1.4 v5 envs, mujoco 3.17.0).
    """

    FIXED: dict = {}
    metadata = {"render_modes": RENDER_MODES}

    def __init__(self, render_mode: str | None = None, **kwargs):
        base = next(cls for cls in type(self).__mro__ if issubclass(cls, MujocoEnv)
                    and not issubclass(cls, _WmenvsLocomotion))
        allowed = (set(inspect.signature(base.__init__).parameters) | _MUJOCO_ENV_OPTIONS) - {"self", "kwargs"}
        for name, value in kwargs.items():
            if name not in allowed:
                raise ValueError(f"unknown argument {name!r} for {type(self).__name__}; "
                                 f"expected one of {sorted(allowed)}")
            if name in self.FIXED and value != self.FIXED[name]:
                raise ValueError(f"{name}={value!r}: {type(self).__name__} is defined by "
                                 f"{name}={self.FIXED[name]!r}; use Gymnasium's {base.__name__} instead")
        if render_mode not in (None, *RENDER_MODES):
            raise ValueError(f"render_mode={render_mode!r}; expected None or one of {RENDER_MODES}")
        self._init_kwargs = {**kwargs, "render_mode": render_mode}
        super().__init__(render_mode=render_mode, **{**kwargs, **self.FIXED})
        self.metadata = {**self.metadata, "render_modes": RENDER_MODES}

    def step(self, action):
        return super().step(validate_action(action, self.action_space))

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if options:
            raise ValueError(f"options={options!r}; these environments take no reset options")
        return super().reset(seed=seed)

    def _initialize_simulation(self):
        """Gymnasium's, except that an XML ``settotalmass`` (HalfCheetah's 14 kg) is applied
        after compiling by ``mj_setTotalmass`` + ``mj_setConst``: MuJoCo 3.17 deprecates the
        attribute and printed a warning on every ``gym.make``; the compiled model is the same
        (masses, inertias and derived constants equal, tested)."""
        text = Path(self.fullpath).read_text()
        total = re.search(r'\s+settotalmass="([^"]+)"', text)
        if total is None:
            return super()._initialize_simulation()
        model = mujoco.MjModel.from_xml_string(text.replace(total.group(0), ""))
        mujoco.mj_setTotalmass(model, float(total.group(1)))
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, self.width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, self.height)
        data = mujoco.MjData(model)
        mujoco.mj_setConst(model, data)
        return model, data

    def __getstate__(self):
        state = {key: value for key, value in self.__dict__.items() if key not in _REBUILT_FIELDS}
        return {"state": state, "data": self.data}

    def __setstate__(self, pickled):
        self.__init__(**pickled["state"]["_init_kwargs"])
        self.__dict__.update(pickled["state"])
        mujoco.mj_copyData(self.data, self.model, pickled["data"])


class TruncatedAnt(_WmenvsLocomotion, AntEnv):
    """MBPO's T-Ant: ``Ant-v5`` without contact forces in the observation.

    Observation: 27 = qpos[2:] (13) + qvel (14). Everything else is ``Ant-v5``'s (see the
    module docstring for the differences to MBPO's v2 original). Version History: v0.
    """

    FIXED = {"include_cfrc_ext_in_observation": False}


class TruncatedHumanoid(_WmenvsLocomotion, HumanoidEnv):
    """MBPO's T-Humanoid: ``Humanoid-v5`` with only positions and velocities observed.

    Observation: 45 = qpos[2:] (22) + qvel (23); actions in ``[-0.4, 0.4]^17``. Version
    History: v0.
    """

    FIXED = {"include_cinert_in_observation": False, "include_cvel_in_observation": False,
             "include_qfrc_actuator_in_observation": False, "include_cfrc_ext_in_observation": False}


class HalfCheetah(_WmenvsLocomotion, HalfCheetahEnv):
    """``HalfCheetah-v5`` (17-dim observation) under the wmenvs action rules. Version History: v0."""


class Walker2d(_WmenvsLocomotion, Walker2dEnv):
    """``Walker2d-v5`` on ``walker2d.xml``, the v2-v4 model (v5's default XML gives the right
    foot the left foot's friction; ALM used the older model). Version History: v0."""

    FIXED = {"xml_file": "walker2d.xml"}


class Hopper(_WmenvsLocomotion, HopperEnv):
    """``Hopper-v5`` (11-dim observation) under the wmenvs action rules. Version History: v0."""


__all__ = ["TruncatedAnt", "TruncatedHumanoid", "HalfCheetah", "Walker2d", "Hopper"]
