"""The shared machinery of the DynE arm tasks: model loading, stepping, seeded resets, pixels.

A task subclass names its MJCF file, frame skip and camera, and implements four hooks:
``_randomize_state`` (one reset proposal; rejected while it has contacts), ``_state_vector``,
``_reward_terms`` (a dict of already-weighted terms read from the state *after* the step;
the reward is their sum) and optionally ``_reset_task`` / ``_task_info`` for event state.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from wmenvs.actions import validate_action
from wmenvs.rendering import LazyRenderer, check_visual_profile

ASSETS = Path(__file__).parent / "assets"
OBS_TYPES = ("state", "pixels")
MAX_RESET_PROPOSALS = 10_000


class MujocoArmEnv(gym.Env):
    """Base class; see the task classes for the Gymnasium-style documentation."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}
    xml_file: str = ""
    frame_skip: int = 1
    camera: str = ""
    state_size: int = 0

    def __init__(self, obs_type: str = "state", image_size: int = 64, visual_profile: str = "minimal",
                 render_mode: str | None = None, frame_stack: int = 1):
        if obs_type not in OBS_TYPES:
            raise ValueError(f"obs_type={obs_type!r}; expected one of {OBS_TYPES}")
        if isinstance(frame_stack, bool) or not isinstance(frame_stack, (int, np.integer)) \
                or frame_stack < 1 or (frame_stack > 1 and obs_type != "pixels"):
            raise ValueError(f"frame_stack={frame_stack!r}; expected an int >= 1 (> 1 only with "
                             "obs_type='pixels')")
        if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 8:
            raise ValueError(f"image_size={image_size!r}; expected an int >= 8")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode={render_mode!r}; expected one of {self.metadata['render_modes']}")
        self.obs_type = obs_type
        self.render_mode = render_mode
        self.model = mujoco.MjModel.from_xml_path(str(ASSETS / self.xml_file))
        self.data = mujoco.MjData(self.model)
        self.dt = self.model.opt.timestep * self.frame_skip
        self.metadata = {**self.metadata, "render_fps": int(round(1.0 / self.dt))}
        self._renderer = LazyRenderer(int(image_size), int(image_size), check_visual_profile(visual_profile))
        low, high = self.model.actuator_ctrlrange.T
        self.action_space = spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
        self._frames: deque[np.ndarray] = deque(maxlen=int(frame_stack))
        if obs_type == "pixels":
            self.observation_space = spaces.Box(
                0, 255, (int(image_size), int(image_size), 3 * int(frame_stack)), np.uint8)
        else:
            self.observation_space = spaces.Box(-np.inf, np.inf, (self.state_size,), np.float64)

    # ------------------------------------------------------------------ Gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"options={options!r}; these environments take no reset options")
        self._sample_contact_free_state()
        self._reset_task()
        self._frames.clear()
        return self._observation(), self._task_info()

    def step(self, action):
        action = validate_action(action, self.action_space)
        self.data.ctrl[:] = action
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        mujoco.mj_kinematics(self.model, self.data)  # positions of the state after the step
        terms = self._reward_terms(action.astype(np.float64))
        reward = float(sum(terms.values()))
        return self._observation(), reward, False, False, {**terms, **self._task_info()}

    def render(self):
        if self.render_mode == "rgb_array":
            return self._renderer.render(self.model, self.data, self.camera)
        return None

    def close(self):
        self._renderer.close()

    # ------------------------------------------------------------------ helpers for tasks
    def _sample_contact_free_state(self) -> None:
        """Propose reset states until one has no contacts (the originals' rejection loop)."""
        for _ in range(MAX_RESET_PROPOSALS):
            mujoco.mj_resetData(self.model, self.data)
            self._randomize_state()
            mujoco.mj_forward(self.model, self.data)
            if self.data.ncon == 0:
                return
        raise RuntimeError(f"{type(self).__name__}: no contact-free reset in {MAX_RESET_PROPOSALS} proposals")

    def _observation(self) -> np.ndarray:
        """The state vector, or the newest frame after the ``frame_stack - 1`` before it on the
        channel axis (oldest first; after a reset the first frame fills every slot)."""
        if self.obs_type == "state":
            return np.asarray(self._state_vector(), dtype=np.float64)
        frame = self._renderer.render(self.model, self.data, self.camera)
        if self._frames.maxlen == 1:
            return frame
        self._frames.extend([frame] * (self._frames.maxlen if not self._frames else 1))
        return np.concatenate(self._frames, axis=-1)

    def body_pos(self, name: str) -> np.ndarray:
        """A fresh copy of a body's world position."""
        return self.data.body(name).xpos.copy()

    # ------------------------------------------------------------------ task hooks
    def _randomize_state(self) -> None:
        raise NotImplementedError

    def _state_vector(self) -> np.ndarray:
        raise NotImplementedError

    def _reward_terms(self, action: np.ndarray) -> dict[str, float]:
        raise NotImplementedError

    def _reset_task(self) -> None:
        """Reset event state (strikes, landings); called after the physics state is set."""

    def _task_info(self) -> dict:
        return {}


def control_cost(action: np.ndarray, weight: float) -> float:
    """``-weight * ||a||^2``."""
    return -weight * float(np.square(action).sum())


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))
