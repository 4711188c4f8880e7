"""One reused, lazily created MuJoCo renderer per environment.

Shared by ``wmenvs/mujoco`` and ``wmenvs/dmc``. The GL context is created on the first
``render`` call, in the process that steps the env, so envs survive pickling and living in
``AsyncVectorEnv`` workers. ``MUJOCO_GL`` selects the backend (``egl`` headless here).

Visual profiles
---------------
On a CPU (Mesa llvmpipe) the cost of a 64x64 frame is the shadow map (MuJoCo renders a
``shadowsize``-squared depth pass, 2048 or 4096 by default), multisampling and tessellation,
not the skybox. Measured against ``physics.render(64, 64, camera)`` over 60 states of each of
the 13 DMC tasks (``tests/test_dmc.py``, ``benchmarks/RESULTS.md``):

``"standard"`` (default for the DMC pixel IDs): the model's own look with a 256 shadow map
(at most), no MSAA and spheres/capsules/cylinders of at most 12 slices x 8 stacks. Mean
absolute difference to ``physics.render`` 0.29-1.27 / 255 per task; 2-9 ms per frame where
``physics.render`` takes 20-50 ms.
``"exact"``: the model's own visual settings; bit-identical to ``physics.render``.
``"minimal"`` (default for the DynE arm IDs; opt-in elsewhere): also no shadows, reflections
or skybox, and plane geoms lit on a grid of at most 10 x 10 cells per half-extent
(dm_control's quadruped floor is 100 x 100 m with a 0.5 m grid). Not DMC's look: the
background is black instead of the skybox (mean difference 17-70 / 255). The plane's third
size is used for rendering only; physics is unchanged.
"""

from __future__ import annotations

import atexit
import os
import weakref

import numpy as np

# Mesa's llvmpipe (the CPU renderer behind EGL/OSMesa here) rasterises on worker threads, which
# a forked process does not inherit. Rasterising in the calling thread removes that source of
# fork hangs and costs nothing measurable at 64x64. Set before any GL init.
os.environ.setdefault("LP_NUM_THREADS", "0")
# It is not enough: Mesa has other internal threads (texture upload, shader compilation), and a
# child forked after its parent created a GL context deadlocked on its first context in the
# full test suite. We refuse that case with a clear error; spawn/forkserver workers start clean.
_GL_PROCESS: int | None = None  # pid of the process that created this module's first context

VISUAL_PROFILES = ("standard", "exact", "minimal")
MAX_SLICES, MAX_STACKS, STANDARD_SHADOW_SIZE, MINIMAL_PLANE_CELLS = 12, 8, 256, 10


def check_visual_profile(profile: str) -> str:
    if profile not in VISUAL_PROFILES:
        raise ValueError(f"visual_profile={profile!r}; expected one of {VISUAL_PROFILES}")
    return profile


def apply_visual_profile(model, profile: str) -> None:
    """Edit ``model.vis`` (and, for ``minimal``, plane grids) in place for ``profile``; call it
    before the renderer is created."""
    if check_visual_profile(profile) == "exact":
        return
    quality = model.vis.quality
    quality.offsamples = 0
    quality.numslices = min(quality.numslices, MAX_SLICES)
    quality.numstacks = min(quality.numstacks, MAX_STACKS)
    if profile == "standard":
        quality.shadowsize = min(quality.shadowsize, STANDARD_SHADOW_SIZE)
    else:
        quality.shadowsize = 0
        _coarsen_plane_grids(model)


def _coarsen_plane_grids(model) -> None:
    """Grid spacing (``geom_size[:, 2]``, rendering only) of finite planes >= extent / N."""
    import mujoco

    planes = model.geom_type == mujoco.mjtGeom.mjGEOM_PLANE
    extent = np.maximum(model.geom_size[planes, 0], model.geom_size[planes, 1])
    model.geom_size[planes, 2] = np.maximum(model.geom_size[planes, 2], extent / MINIMAL_PLANE_CELLS)


class LazyRenderer:
    """``render(model, data, camera)`` -> fresh ``(height, width, 3)`` uint8 array."""

    def __init__(self, width: int, height: int, profile: str = "standard"):
        self.width, self.height = int(width), int(height)
        self.profile = check_visual_profile(profile)
        self._renderer = None

    def render(self, model, data, camera: int | str = -1) -> np.ndarray:
        if self._renderer is None:
            self._renderer = self._create(model)
        self._renderer.update_scene(data, camera=camera)
        if self.profile == "minimal":
            self._disable_costly_scene_flags(self._renderer.scene)
        return self._renderer.render().copy()

    def _create(self, model):
        import mujoco

        _check_not_forked_after_gl()
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, self.width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, self.height)
        apply_visual_profile(model, self.profile)
        renderer = mujoco.Renderer(model, height=self.height, width=self.width)
        _register_exit_handler()
        _LIVE.add(self)
        return renderer

    @staticmethod
    def _disable_costly_scene_flags(scene) -> None:
        import mujoco

        for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
                     mujoco.mjtRndFlag.mjRND_SKYBOX):
            scene.flags[flag] = 0

    def close(self) -> None:
        """Free the GL objects, in this renderer's own context: MuJoCo frees them in whichever
        context is current, so closing one env would otherwise destroy another live env's
        textures and framebuffers (its later frames come out black or garbled)."""
        if self._renderer is not None:
            context = self._renderer._gl_context   # private in mujoco 3.x; None for some backends
            if context is not None:
                context.make_current()
            self._renderer.close()
            self._renderer = None
            _LIVE.discard(self)

    def __del__(self):
        self.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_renderer"] = None  # GL contexts do not pickle; the copy makes its own lazily
        return state


# Renderers holding a GL context. mujoco.egl terminates its display at exit, and a renderer
# freed after that prints an EGLError; one handler, registered after mujoco.egl's (atexit runs
# last-registered first), closes the live ones before that, however many envs came and went.
_LIVE: weakref.WeakSet = weakref.WeakSet()
_EXIT_HANDLER = []


def _register_exit_handler() -> None:
    if not _EXIT_HANDLER:
        atexit.register(_close_live_renderers)
        _EXIT_HANDLER.append(True)


def _close_live_renderers() -> None:
    for renderer in list(_LIVE):
        renderer.close()


def _check_not_forked_after_gl() -> None:
    """Raise, rather than deadlock, in a fork of a process that already created a GL context."""
    global _GL_PROCESS
    if _GL_PROCESS is not None and _GL_PROCESS != os.getpid():
        raise RuntimeError(
            "this process was forked from one that had already created a MuJoCo GL context; Mesa "
            "deadlocks in such children. Start vector-env workers with spawn or forkserver: "
            "gym.make_vec(env_id, num_envs, vectorization_mode='async', "
            "vector_kwargs={'context': 'spawn'}), or create the vector env before rendering.")
    _GL_PROCESS = os.getpid()
