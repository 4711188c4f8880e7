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
