"""Draw a ShapeHerd world with OpenCV, directly at the output resolution.

BBS drew the full 800 x 700 canvas with pygame every physics step, cropped the agent's
window and resized it. Here only the returned frame is drawn, straight at 64 x 64, with
anti-aliased polygons at 1/16-pixel precision (``shift=4``): same geometry and palette, one
frame in ~60-90 us. The palette is BBS's colours as they appear under its grey overlay.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from wmenvs.shapeherd.world import AGENT_RADIUS, Arena, World, rect_vertices

BACKGROUND = (50, 50, 50)
WALL = (141, 151, 151)              # as BBS frames show its walls
GOAL = (50, 129, 90)
AGENT = (93, 129, 160)
DISTRACTOR = (164, 137, 137)
OBJECT_COLOURS = {
    "orange": (205, 151, 50),
    "blue": (50, 50, 205),
    "green": (50, 205, 50),
    "red": (205, 50, 50),
    "purple": (148, 70, 196),
}
VIEW_OUTLINE = (220, 220, 220)
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class View:
    """An axis-aligned window of the world drawn into a ``height x width`` image."""

    x0: float
    y0: float
    scale: float  # pixels per world unit
    width: int
    height: int

    def to_fixed_point(self, points: np.ndarray) -> np.ndarray:
        """World (n, 2) -> int32 pixel coordinates in 1/16 px (pixel centres at +0.5)."""
        pixels = (points - (self.x0, self.y0)) * self.scale - 0.5
        return np.rint(pixels * _ONE).astype(np.int32)


def agent_view(world: World, view_size: float, pixels: int) -> View:
    """The square window of ``view_size`` world units centred on the agent."""
    x, y = world.agent.position
    half = view_size / 2
    return View(x - half, y - half, pixels / view_size, pixels, pixels)


def arena_view(world: World, width: int) -> View:
    """The whole arena, ``width`` pixels wide (height keeps the aspect ratio)."""
    scale = width / world.arena.width
    return View(0.0, 0.0, scale, int(width), int(round(world.arena.height * scale)))


def _split(fixed: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    return np.split(fixed, np.cumsum(counts)[:-1]) if counts else []


@lru_cache(maxsize=8)
def _static_outlines(arena: Arena) -> np.ndarray:
    """(7, 4, 2) world vertices: the goal pocket first, then the six wall rectangles."""
    return np.asarray([rect_vertices(arena.goal_rect)] + [rect_vertices(r) for r in arena.wall_rects()],
                      dtype=np.float64)


@lru_cache(maxsize=8)
def _blank(height: int, width: int) -> np.ndarray:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    return image


def _fill(image: np.ndarray, polygons, colour) -> None:
    cv2.fillPoly(image, polygons, colour, lineType=cv2.LINE_AA, shift=_SHIFT)


def draw_world(world: World, view: View) -> np.ndarray:
    """A fresh ``(height, width, 3)`` uint8 RGB image of ``world`` seen through ``view``."""
    image = _blank(view.height, view.width).copy()
    static = view.to_fixed_point(_static_outlines(world.arena).reshape(-1, 2)).reshape(-1, 4, 2)
    _fill(image, [static[0]], GOAL)
    _fill(image, list(static[1:]), WALL)
    vertices, counts = world.object_polygons()
    for obj, polygon in zip(world.objects, _split(view.to_fixed_point(vertices), counts)):
        _fill(image, [polygon], OBJECT_COLOURS[obj.colour])
    vertices, counts = world.distractor_polygons()
    if counts:
        _fill(image, _split(view.to_fixed_point(vertices), counts), DISTRACTOR)
    x, y = view.to_fixed_point(np.array([world.agent.position], dtype=np.float64))[0]
    cv2.circle(image, (int(x), int(y)), int(round(AGENT_RADIUS * view.scale * _ONE)),
               AGENT, -1, lineType=cv2.LINE_AA, shift=_SHIFT)
    return image


def draw_view_outline(image: np.ndarray, view: View, window: View) -> None:
    """Outline, on a full-arena ``image``, the agent's ``window`` (what the agent sees)."""
    corners = np.array([[window.x0, window.y0],
                        [window.x0 + window.width / window.scale, window.y0 + window.height / window.scale]])
    (x0, y0), (x1, y1) = view.to_fixed_point(corners)
    cv2.rectangle(image, (int(x0), int(y0)), (int(x1), int(y1)), VIEW_OUTLINE, 1,
                  lineType=cv2.LINE_AA, shift=_SHIFT)
