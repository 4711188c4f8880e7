"""The shared MuJoCo renderer in worker processes (wmenvs/rendering.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import gymnasium as gym, wmenvs
env_id = "wmenvs/ReacherVerticalPixels-v0"
env = gym.make(env_id)
env.reset(seed=0)  # the parent now owns a GL context
try:
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="async",
                        vector_kwargs={"context": "fork"})
    envs.reset(seed=0)
except RuntimeError as error:
    assert "spawn" in str(error), error
    print("fork refused")
else:
    raise AssertionError("a fork of a GL-owning process rendered instead of refusing")
envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="async", vector_kwargs={"context": "spawn"})
obs, _ = envs.reset(seed=0)
assert obs.shape == (2, 64, 64, 3) and obs.std() > 0
envs.close()
print("spawn works")
"""


@pytest.mark.slow
def test_fork_after_rendering_is_refused_and_spawn_works():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "fork refused" in result.stdout and "spawn works" in result.stdout


FAMILIES = ["wmenvs/DMC-walker-walk-Pixels-v0", "wmenvs/ReacherVerticalPixels-v0",
            "wmenvs/PusherPixels-v0"]


@pytest.mark.parametrize("closed", [0, 1, 2])
@pytest.mark.parametrize("env_id", FAMILIES)
def test_closing_one_live_pixel_env_leaves_the_others_intact(env_id, closed):
    """MuJoCo frees GL objects in the current context; every renderer closes in its own, so
    closing any one of three live envs leaves the other two's frames exactly as a fresh env's."""
    import gymnasium as gym
    import numpy as np

    import wmenvs  # noqa: F401

    envs = [gym.make(env_id) for _ in range(3)]
    for i, env in enumerate(envs):
        env.reset(seed=i)
    action = np.zeros(envs[0].action_space.shape, np.float32)
    envs[closed].close()
    for i, env in enumerate(envs):
        if i == closed:
            continue
        reference = gym.make(env_id)
        reference.reset(seed=i)
        expected = reference.step(action)[0]
        reference.close()
        np.testing.assert_array_equal(env.step(action)[0], expected, err_msg=f"env {i}")
    for i, env in enumerate(envs):
        if i != closed:
            env.close()


def test_make_and_close_cycles_register_no_exit_handlers():
    import atexit

    import gymnasium as gym

    import wmenvs  # noqa: F401
    from wmenvs import rendering

    gym.make("wmenvs/ReacherVerticalPixels-v0").reset(seed=0)   # the one handler, registered
    before = atexit._ncallbacks()
    for _ in range(20):
        env = gym.make("wmenvs/ReacherVerticalPixels-v0")
        env.reset(seed=0)
        env.close()
    assert atexit._ncallbacks() == before
    assert all(renderer._renderer is not None for renderer in rendering._LIVE)
