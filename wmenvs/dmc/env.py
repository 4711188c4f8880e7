"""Any DeepMind Control Suite task as a Gymnasium env, from state or from 64x64 pixels."""

from __future__ import annotations

import contextlib
import logging

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from wmenvs.actions import validate_action
from wmenvs.rendering import LazyRenderer, check_visual_profile

# Cameras of the pixel protocol (PlaNet / Dreamer): camera 0, except quadruped's camera 2.
DEFAULT_CAMERAS = {"quadruped": 2}


def default_camera(domain: str) -> int:
    return DEFAULT_CAMERAS.get(domain, 0)


class DMCEnv(gym.Env):
    """A ``dm_control.suite`` task behind the Gymnasium API.

    Description
    -----------
    The generic constructor of the ``wmenvs/DMC-<domain>-<task>[-Pixels]-v0`` IDs (PlaNet,
    Hafner et al. 2019, Sec. 5; VSG, Jain et al. 2022, Sec. 5.2). Any suite task works:
    ``DMCEnv(domain="manipulator", task="bring_ball")``. Physics, rewards and episode length
    are dm_control's own; this class only translates the interface.

    Action Space
    ------------
    ``Box(spec.minimum, spec.maximum, float32)`` of the task's action spec (``[-1, 1]^n`` for
    most tasks). Actions pass :func:`wmenvs.actions.validate_action` first: NaN/inf/wrong
    shape raise ``ValueError``; out-of-range values are clipped.

    Observation Space
    -----------------
    ``pixels=False``: ``Box(-inf, inf, (n,), float64)``, dm_control's observation dict
    flattened *in the task's observation-spec order*, each entry raveled (scalars take one
    slot). The layout is ``env.observation_layout`` (``(key, slice)`` pairs) and is tabled per
    task in ``docs/dmc_locomotion.md``; e.g. cheetah: position (8) then velocity (9).
    ``pixels=True``: ``Box(0, 255, (height, width, 3), uint8)``, the task's camera 0
    (quadruped: camera 2) rendered by one reused renderer per env.

    Rewards
    -------
    dm_control's reward in ``[0, 1]`` per step; episode returns are on a 0-1000 scale.

    Starting State
    --------------
    The task's ``initialize_episode`` drawn from the task's ``random`` state.
    ``reset(seed=s)`` reseeds that state with ``s``, so the episode is the one
    ``dm_control.suite.load(domain, task, task_kwargs={"random": s})`` produces; resets without
    a seed continue the same ``RandomState`` exactly as repeated dm_control resets do. The first
    reset without any seed draws the task seed from ``self.np_random``.

    Episode End
    -----------
    dm_control's ``LAST`` step: ``discount == 0`` -> ``terminated``; ``discount > 0`` (time
    limit, 1000 steps for every suite task used here) -> ``truncated``. ``info["discount"]``
    carries the step's discount (1.0 on every non-terminal step).

    Arguments
    ---------
    ``domain``, ``task``: suite names (``suite.BENCHMARKING`` lists them). ``pixels``: image
    observations. ``width``, ``height``: image size (64). ``camera``: camera id (default
    above). ``visual_profile`` (:mod:`wmenvs.rendering`): ``"standard"`` (default: DMC's look,
    within 1.3 / 255 of ``physics.render`` on every task, 3-10x cheaper), ``"exact"``
    (bit-identical to ``physics.render``) or ``"minimal"`` (no shadows, reflections or skybox:
    not DMC's look). ``render_size``: ``(height, width)`` of ``render()`` frames.
    ``task_kwargs``, ``environment_kwargs``: passed to ``suite.load`` (``random`` is owned by
    ``reset(seed)``). ``action_repeat``: dm_control steps per ``step`` call (the PlaNet and
    Dreamer protocols, Mnih et al. 2015): the action is applied that many times, rewards are
    summed, the repeat stops at the episode's last step, only the final frame is rendered, and
    ``info["env_steps"]`` says how many simulator steps the call took.

    Version History
    ---------------
    v0: initial version (dm_control 1.0.50, mujoco 3.17.0). Deviations from the papers' code:
    pixel frames use the "standard" profile by default (a smaller shadow map, no MSAA and
    coarser spheres than ``physics.render``, which PlaNet/Dreamer used: a mean difference of at
    most 1.3 / 255); images are not bit-depth reduced here (PlaNet's 5-bit preprocessing belongs
    to the agent); the papers' action repeats are separate IDs (``wmenvs/PlaNet-*``,
    ``wmenvs/Dreamer-*``) over this class's ``action_repeat``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, domain: str, task: str, pixels: bool = False, width: int = 64,
                 height: int = 64, camera: int | None = None, visual_profile: str = "standard",
                 render_size: tuple[int, int] = (240, 320), task_kwargs: dict | None = None,
                 environment_kwargs: dict | None = None, render_mode: str | None = None,
                 action_repeat: int = 1):
        from dm_control import suite

        if (domain, task) not in suite.ALL_TASKS:
            raise ValueError(f"domain={domain!r}, task={task!r} is not a dm_control suite task; "
                             f"known: {sorted(f'{d}-{t}' for d, t in suite.ALL_TASKS)}")
        if task_kwargs and "random" in task_kwargs:
            raise ValueError("task_kwargs['random'] is not accepted: seed with reset(seed=...)")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode={render_mode!r}; expected None or 'rgb_array'")
        if not (isinstance(render_size, (tuple, list)) and len(render_size) == 2):
            raise ValueError(f"render_size={render_size!r}; expected (height, width)")
        for name, size in (("width", width), ("height", height), ("render_size", render_size[0]),
                           ("render_size", render_size[1])):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"{name}={size!r}; expected a positive integer")
        if isinstance(action_repeat, bool) or not isinstance(action_repeat, (int, np.integer)) \
                or action_repeat < 1:
            raise ValueError(f"action_repeat={action_repeat!r}; expected an int >= 1")
        self.domain, self.task, self.pixels = domain, task, bool(pixels)
        self.action_repeat = int(action_repeat)
        self.render_mode = render_mode
        with _without_settotalmass_notice():
            self._dm_env = suite.load(domain, task,
                                      task_kwargs={**(task_kwargs or {}), "random": 0},
                                      environment_kwargs=environment_kwargs)
        model = self._dm_env.physics.model
        self.camera = default_camera(domain) if camera is None else int(camera)
        if not 0 <= self.camera < model.ncam:
            raise ValueError(f"camera={camera!r}; {domain} has cameras 0..{model.ncam - 1}")
        check_visual_profile(visual_profile)
        self._pixel_renderer = LazyRenderer(width, height, visual_profile)
        self._frame_renderer = LazyRenderer(render_size[1], render_size[0], visual_profile)
        self._task_seeded = False
        self._episode_over = True
        self.metadata = {**self.metadata, "render_fps": round(1.0 / self._dm_env.control_timestep())}

        spec = self._dm_env.action_spec()
        self.action_space = spaces.Box(spec.minimum.astype(np.float32),
                                       spec.maximum.astype(np.float32), dtype=np.float32)
        self.observation_layout = _layout(self._dm_env.observation_spec())
        size = self.observation_layout[-1][1].stop if self.observation_layout else 0
        if self.pixels:
            self.observation_space = spaces.Box(0, 255, (height, width, 3), np.uint8)
        else:
            self.observation_space = spaces.Box(-np.inf, np.inf, (size,), np.float64)

    @property
    def physics(self):
        """The dm_control ``Physics`` (for analysis; agents should not need it)."""
        return self._dm_env.physics

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"options={options!r}: DMC envs take no reset options")
        if seed is not None:  # RandomState takes 32-bit seeds; larger ones go through np_random
            self._dm_env.task.random.seed(seed if seed < 2**32 else int(self.np_random.integers(2**32)))
            self._task_seeded = True
        elif not self._task_seeded:
            self._dm_env.task.random.seed(int(self.np_random.integers(2**32)))
            self._task_seeded = True
        time_step = self._dm_env.reset()
        self._episode_over = False
        return self._observe(time_step.observation), {}

    def step(self, action):
        action = validate_action(action, self.action_space)
        if self._episode_over:  # dm_control would silently start a new episode instead
            raise RuntimeError("the episode is over: call reset() before step()")
        reward = 0.0
        for env_steps in range(1, self.action_repeat + 1):
            time_step = self._dm_env.step(action)
            reward += float(time_step.reward)
            if time_step.last():
                break
        self._episode_over = time_step.last()
        terminated = time_step.last() and time_step.discount == 0
        truncated = time_step.last() and not terminated
        info = {"discount": float(time_step.discount), "env_steps": env_steps}
        return self._observe(time_step.observation), reward, terminated, truncated, info

    def _observe(self, observation) -> np.ndarray:
        if self.pixels:
            return self._render_with(self._pixel_renderer)
        return flatten_observation(observation)

    def _render_with(self, renderer: LazyRenderer) -> np.ndarray:
        physics = self._dm_env.physics
        return renderer.render(physics.model.ptr, physics.data.ptr, self.camera)

    def render(self):
        if self.render_mode == "rgb_array":
            return self._render_with(self._frame_renderer)
        return None

    def close(self):
        self._pixel_renderer.close()
        self._frame_renderer.close()
        super().close()


def flatten_observation(observation) -> np.ndarray:
    """dm_control's ordered observation dict -> one fresh float64 vector, keys in spec order."""
    return np.concatenate([np.asarray(value, dtype=np.float64).ravel()
                           for value in observation.values()])


def _layout(observation_spec) -> tuple[tuple[str, slice], ...]:
    layout, start = [], 0
    for key, spec in observation_spec.items():
        size = int(np.prod(spec.shape))
        layout.append((key, slice(start, start + size)))
        start += size
    return tuple(layout)


class _SettotalmassNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "settotalmass" not in record.getMessage()


@contextlib.contextmanager
def _without_settotalmass_notice():
    """dm_control's own cheetah XML uses ``settotalmass``, which MuJoCo 3.17 reports as
    deprecated through absl on every load; the model is dm_control's, so the notice is dropped
    while it compiles (and nothing else)."""
    notice, logger = _SettotalmassNotice(), logging.getLogger("absl")
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)
