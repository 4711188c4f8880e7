"""ShapeHerd (VSG paper §5.1): pymunk pushing task with a partial 64x64 view."""

from wmenvs.shapeherd.env import ShapeHerdEnv
from wmenvs.shapeherd.scripted import ScriptedPusher

__all__ = ["ShapeHerdEnv", "ScriptedPusher"]
