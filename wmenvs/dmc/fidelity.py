"""How close the DMC pixel IDs' frames are to dm_control's own ``physics.render``.

Used by ``tests/test_dmc.py`` and ``benchmarks/bench_dmc.py``. dm_control caches which GL
context it made current, so its reference frames are drawn before any wmenvs renderer draws.
"""

from __future__ import annotations

import numpy as np

from wmenvs.dmc.env import DMCEnv

SEED = 3


def reference_states(domain: str, task: str, count: int) -> tuple[DMCEnv, list[np.ndarray]]:
    """A state env and ``count`` physics states of a seeded random-action episode, 5 steps
    apart."""
    env = DMCEnv(domain, task)
    env.reset(seed=SEED)
    rng = np.random.default_rng(0)
    states = []
    for _ in range(count):
        action = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        for _ in range(5):
            env.step(action)
        states.append(env.physics.get_state().copy())
    return env, states


def _frames_at(env: DMCEnv, states, draw) -> list[np.ndarray]:
    frames = []
    for state in states:
        env.physics.set_state(state)
        env.physics.forward()
        frames.append(draw(env))
    return frames


def physics_render_frames(env: DMCEnv, states) -> list[np.ndarray]:
    """``physics.render(64, 64, camera)`` at each state: dm_control's pixels (the papers')."""
    return _frames_at(env, states, lambda e: e.physics.render(64, 64, camera_id=e.camera))


def profile_frames(env: DMCEnv, states, profile: str) -> list[np.ndarray]:
    """The pixel observation of ``visual_profile=profile`` at each state."""
    twin = DMCEnv(env.domain, env.task, pixels=True, visual_profile=profile)
    twin.reset(seed=SEED)      # the same episode init: some tasks move model geoms (targets)
    frames = _frames_at(twin, states, lambda e: e._observe(None))
    twin.close()
    return frames


def mean_difference(frames, references) -> float:
    """Mean absolute difference per pixel and channel, on the 0-255 scale."""
    return float(np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(frames, references)]))
