"""wmenvs: seeded, fast Gymnasium environments from five model-based RL papers.

``import wmenvs`` registers every ID of :mod:`wmenvs.registration`; then
``gymnasium.make("wmenvs/ShapeHerd-v0")`` works. This package never imports torch.
"""

import os
import sys
from importlib.metadata import PackageNotFoundError, version

# Headless Linux (no DISPLAY): MuJoCo and dm_control would otherwise try GLFW, which needs a
# screen, in every process that imports them (vector-env and runner workers too). EGL renders
# without one; set MUJOCO_GL yourself (glfw, osmesa) to choose differently.
if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")

from wmenvs.registration import ENV_TABLE, EnvEntry, get_entry, list_envs, register_all

try:
    __version__ = version("wmenvs")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

register_all()

__all__ = ["ENV_TABLE", "EnvEntry", "get_entry", "list_envs", "register_all", "__version__"]
