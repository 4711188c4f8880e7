"""Headless rendering for every test: pygame's dummy video driver, MuJoCo through EGL."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
