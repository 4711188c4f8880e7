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
absolute difference to ``physics.render`` 0.29-1.31 / 255 per task; 2-5 ms per frame where
``physics.render`` takes 20-50 ms.
``"exact"``: the model's own visual settings; bit-identical to ``physics.render``.
``"minimal"`` (default for the DynE arm IDs; opt-in elsewhere): also no shadows, reflections
or skybox, and plane geoms lit on a grid of at most 10 x 10 cells per half-extent
(dm_control's quadruped floor is 100 x 100 m with a 0.5 m grid). Not DMC's look: the
background is black instead of the skybox (mean difference 17-70 / 255). The plane's third
size is used for rendering only; physics is unchanged.

Both cheaper profiles draw a floor plane larger than ``PLANE_WINDOW`` metres per half-extent
(dm_control sizes the quadruped-run floor to what a running agent covers in an episode: 100 m)
as a window of that half-extent that follows the camera in steps of whole grid and texture
periods, so every visible vertex and texel sits where it would on the full floor. On
quadruped-run that halves the frame time (8.8 -> 4.9 ms) at a look difference of 0.99 / 255
instead of 0.96.
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
PLANE_WINDOW = 50.0  # metres: the largest half-extent of a floor drawn in full (not "exact")


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
        self._windows: list[PlaneWindow] = []

    def render(self, model, data, camera: int | str = -1) -> np.ndarray:
        if self._renderer is None:
            self._renderer = self._create(model)
        self._renderer.update_scene(data, camera=camera)
        for window in self._windows:
            window.follow_camera(self._renderer.scene)
        if self.profile == "minimal":
            self._disable_costly_scene_flags(self._renderer.scene)
        return self._renderer.render().copy()

    def _create(self, model):
        import mujoco

        _check_not_forked_after_gl()
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, self.width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, self.height)
        apply_visual_profile(model, self.profile)
        self._windows = [] if self.profile == "exact" else PlaneWindow.for_large_planes(model)
        full_sizes = model.geom_size.copy()
        for window in self._windows:   # the GL context meshes planes at the model's sizes
            model.geom_size[window.geom, :2] = window.half_extent
        try:
            renderer = mujoco.Renderer(model, height=self.height, width=self.width)
        finally:
            model.geom_size[:] = full_sizes   # physics sees the full plane again
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


class PlaneWindow:
    """A plane geom drawn as a ``half_extent`` window around the camera, moved in ``step``s
    (multiples of both the grid spacing and the texture period, so nothing visible moves) and
    kept inside the plane's own extent."""

    def __init__(self, geom: int, half_extent: np.ndarray, step: np.ndarray, reach: np.ndarray):
        self.geom, self.half_extent, self.step, self.reach = geom, half_extent, step, reach

    @classmethod
    def for_large_planes(cls, model) -> list["PlaneWindow"]:
        """Windows for planes over ``PLANE_WINDOW`` in both half-extents (the grid's cost grows
        with the area: strips such as walker's 250 x 0.8 m floor are cheap) whose texture, if
        any, repeats per metre (``texuniform``): a stretched one would change with the size."""
        import mujoco

        windows = []
        for geom in np.flatnonzero(model.geom_type == mujoco.mjtGeom.mjGEOM_PLANE):
            size, material = model.geom_size[geom], model.geom_matid[geom]
            if min(size[0], size[1]) <= PLANE_WINDOW or size[2] <= 0:
                continue
            texture_periods = np.zeros(2)
            if material >= 0:
                if not model.mat_texuniform[material]:
                    continue
                texture_periods = 2.0 / model.mat_texrepeat[material]  # measured: 2 m at 1
            step = np.array([_common_period(size[2], period) for period in texture_periods])
            if np.all(step > 0):
                half_extent = np.minimum(size[:2], np.ceil(PLANE_WINDOW / step) * step)
                reach = np.floor((size[:2] - half_extent) / step) * step
                windows.append(cls(int(geom), half_extent, step, reach))
        return windows

    def follow_camera(self, scene) -> None:
        import mujoco

        camera = np.asarray(scene.camera[0].pos)
        for index in range(scene.ngeom):
            geom = scene.geoms[index]
            if geom.objtype == mujoco.mjtObj.mjOBJ_GEOM and geom.objid == self.geom:
                rotation = np.asarray(geom.mat).reshape(3, 3)
                offset = (rotation.T @ (camera - np.asarray(geom.pos)))[:2]
                shift = np.clip(np.round(offset / self.step) * self.step, -self.reach, self.reach)
                geom.pos[:] = np.asarray(geom.pos) + rotation @ np.append(shift, 0.0)
                geom.size[:2] = self.half_extent


def _common_period(spacing: float, period: float) -> float:
    """The longer of the grid spacing and the texture period (0: none) when it is a whole
    multiple of the shorter; 0 when it is not."""
    if period == 0:
        return spacing
    longer, shorter = max(spacing, period), min(spacing, period)
    ratio = longer / shorter
    return longer if abs(ratio - round(ratio)) < 1e-6 else 0.0


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
