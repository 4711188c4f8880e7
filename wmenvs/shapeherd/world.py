"""ShapeHerd's arena and physics in pymunk (facts read off the BBS code; ``docs/shapeherd.md``).

World units are pixels of BBS's full 800 x 700 view; +y points down. ``Arena`` holds the
geometry for one ``arena_scale``; ``World`` holds one episode's pymunk space and bodies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pymunk

DT = 1.0 / 60.0                 # one space.step per underlying env step (BBS)
SPACE_DAMPING = 0.7             # velocity kept per simulated second (paper: "damping 0.3")
WALL_THICKNESS = 125.0
GOAL_WIDTH = 100.0
GOAL_HEIGHT_FRACTION = 0.5      # of the interior height
SCORE_INSET = 5.0               # centroid x >= goal_x + 5 scores (BBS's vanishing line, 580)
AGENT_RADIUS = 15.0
AGENT_DENSITY = 0.1             # -> mass 0.1 * pi * 15^2 ~ 70.7 (BBS)
GOAL_BOUNCE = 0.3               # agent pushed out of the goal column keeps -0.3 x its velocity
FORCE_SCALE = 100.0             # force = 100 x magnitude, magnitude in [0, 400] (BBS)
MAX_MAGNITUDE = 400.0
OBJECT_MASS, OBJECT_MOMENT = 20.0, 1e6
OBJECT_SPEED_CAP = 800.0        # above it, object velocity x 0.99 per step (BBS limit_velocity)
DISTRACTOR_MASS_DENSITY = 0.1
DISTRACTOR_RADIUS = 12.0        # BBS's spawn margin and goal-rule radius for distractors
DISTRACTOR_FORCE_FRACTION = 0.2  # BBS DISTRACTOR_ACTION_SCALE
SPAWN_FRACTION = 0.7            # objects start in the left 70 % of the interior

# Outlines (BBS), re-centred at the centroid at import time.
SHAPE_OUTLINES = {
    "triangle": [(0, 0), (50, 0), (25, 25)],
    "square": [(0, 0), (50, 0), (50, 50), (0, 50)],
    "rectangle": [(0, 0), (50, 0), (50, 25), (0, 25)],
    "pentagon": [(5, -17), (-19, 0), (-10, 28), (19, 28), (28, 0)],
    "hexagon": [(17, -14), (-8, -14), (-20, 7), (-8, 29), (17, 29), (30, 8)],
}
DISTRACTOR_OUTLINE = [(-30, 0), (0, 15), (10, 0), (0, -15)]  # a kite (BBS)
COLOUR_NAMES = ("orange", "blue", "green", "red", "purple")


def polygon_centroid(points) -> np.ndarray:
    """Area centroid of a simple polygon (shoelace formula)."""
    p = np.asarray(points, dtype=np.float64)
    q = np.roll(p, -1, axis=0)
    cross = p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]
    area = cross.sum() / 2.0
    return ((p + q) * cross[:, None]).sum(axis=0) / (6.0 * area)


def centred(points) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    return p - polygon_centroid(p)


SHAPES = {name: centred(outline) for name, outline in SHAPE_OUTLINES.items()}
SHAPE_NAMES = tuple(SHAPES)
SHAPE_RADII = {name: float(np.linalg.norm(v, axis=1).max()) for name, v in SHAPES.items()}
DISTRACTOR_SHAPE = np.asarray(DISTRACTOR_OUTLINE, dtype=np.float64)  # BBS keeps the kite's origin
DISTRACTOR_EXTENT = float(np.linalg.norm(DISTRACTOR_SHAPE, axis=1).max())  # spawn clearance


@dataclass(frozen=True)
class Arena:
    """Geometry of one arena size; ``scale`` multiplies BBS's 800 x 700 canvas."""

    scale: float = 1.0

    @property
    def width(self) -> float:
        return float(int(800 * self.scale))

    @property
    def height(self) -> float:
        return float(int(700 * self.scale))

    @property
    def interior(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the free interior."""
        return (WALL_THICKNESS, WALL_THICKNESS,
                self.width - WALL_THICKNESS, self.height - WALL_THICKNESS)

    @property
    def goal_rect(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the scoring pocket in the right wall."""
        x0, y0, x1, y1 = self.interior
        goal_height = GOAL_HEIGHT_FRACTION * (y1 - y0)
        top = y0 + (y1 - y0 - goal_height) / 2
        return (x1 - GOAL_WIDTH, top, x1, top + goal_height)

    @property
    def score_x(self) -> float:
        return self.goal_rect[0] + SCORE_INSET

    def wall_rects(self) -> list[tuple[float, float, float, float]]:
        """Static, non-overlapping rectangles: four outer walls, two blocks beside the pocket."""
        w, h, t = self.width, self.height, WALL_THICKNESS
        gx0, gy0, gx1, gy1 = self.goal_rect
        return [(0, 0, t, h), (w - t, 0, w, h), (t, 0, w - t, t), (t, h - t, w - t, h),
                (gx0, t, gx1, gy0), (gx0, gy1, gx1, h - t)]


def rect_vertices(rect) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = rect
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def capped_object_velocity(body, gravity, damping, dt):
    """BBS's soft speed cap, applied inside the velocity update (module level: picklable)."""
    pymunk.Body.update_velocity(body, gravity, damping, dt)
    if body.velocity.length > OBJECT_SPEED_CAP:
        body.velocity = body.velocity * 0.99


@dataclass
class ShapeObject:
    """One pushable object: its pymunk body and shape, what it looks like, and its slot (the
    order it was spawned in, which indexes the fixed-shape ``info`` arrays)."""

    body: pymunk.Body
    shape: pymunk.Poly
    kind: str
    colour: str
    local_vertices: np.ndarray
    slot: int


@dataclass
class Distractor:
    """A Brownian kite: holds a random force for a random number of steps (BBS)."""

    body: pymunk.Body
    force: tuple[float, float] = (0.0, 0.0)
    steps_left: int = 0


class World:
    """One episode's physics: agent, objects, distractors, walls, and BBS's rules."""

    def __init__(self, arena: Arena, agent_elasticity: float = 1.0):
        self.arena = arena
        self.space = pymunk.Space()
        self.space.gravity = (0.0, 0.0)
        self.space.damping = SPACE_DAMPING
        for rect in arena.wall_rects():
            wall = pymunk.Poly(self.space.static_body, rect_vertices(rect))
            wall.friction, wall.elasticity = 1.0, 0.7
            self.space.add(wall)
        self.agent = pymunk.Body()
        agent_shape = pymunk.Circle(self.agent, AGENT_RADIUS)
        agent_shape.density, agent_shape.friction = AGENT_DENSITY, 0.5
        agent_shape.elasticity = agent_elasticity  # paper: 1.0; BBS never set it (pymunk's 0)
        self.space.add(self.agent, agent_shape)
        self.objects: list[ShapeObject] = []      # in play
        self.kinds: list[str] = []                # of every object spawned, by slot
        self.distractors: list[Distractor] = []

    # ----------------------------------------------------------------- building an episode
    def add_object(self, kind: str, colour: str, position, angle: float) -> None:
        body = pymunk.Body(OBJECT_MASS, OBJECT_MOMENT)
        body.position, body.angle = tuple(position), float(angle)
        body.velocity_func = capped_object_velocity
        shape = pymunk.Poly(body, [tuple(v) for v in SHAPES[kind]])
        shape.elasticity, shape.friction = 1.0, 0.5
        self.space.add(body, shape)
        self.objects.append(ShapeObject(body, shape, kind, colour, SHAPES[kind], len(self.kinds)))
        self.kinds.append(kind)

    def add_distractor(self, position) -> None:
        body = pymunk.Body()
        shape = pymunk.Poly(body, [tuple(v) for v in DISTRACTOR_SHAPE])
        shape.density, shape.friction = DISTRACTOR_MASS_DENSITY, 0.5
        body.position = tuple(position)
        self.space.add(body, shape)
        self.distractors.append(Distractor(body))

    # ----------------------------------------------------------------- one underlying step
    def step(self, agent_force, rng: np.random.Generator) -> int:
        """Advance one dt; return how many objects scored during it (they are removed)."""
        self.agent.apply_force_at_world_point(agent_force, self.agent.position)  # world-frame force at the COM
        for distractor in self.distractors:
            self._drive_distractor(distractor, rng)
        self.space.step(DT)
        self._keep_out_of_goal(self.agent, AGENT_RADIUS)
        for distractor in self.distractors:
            self._keep_out_of_goal(distractor.body, DISTRACTOR_RADIUS)
        return self._remove_scored()

    def _drive_distractor(self, distractor: Distractor, rng: np.random.Generator) -> None:
        if distractor.steps_left == 0:
            angle = math.radians(int(rng.integers(0, 360)))  # whole degrees, as BBS
            magnitude = MAX_MAGNITUDE * float(rng.random())
            scale = FORCE_SCALE * DISTRACTOR_FORCE_FRACTION * magnitude
            distractor.force = (math.cos(angle) * scale, math.sin(angle) * scale)
            distractor.steps_left = int(rng.integers(2, 10))
        distractor.steps_left -= 1
        distractor.body.apply_force_at_world_point(distractor.force, distractor.body.position)

    def _keep_out_of_goal(self, body: pymunk.Body, radius: float) -> None:
        """BBS's rule: a body entering the goal column is put back and bounced.

        Applied after the physics step (BBS: before it), so no observed state has the body in
        the column; the bounce (-0.3 x velocity) then only applies while the body moves into the
        column, because in this order BBS's bounce of any velocity would trap the agent against
        the goal blocks (contact slop leaves it 0.05 units in, and its escape is reversed every
        step). In BBS's own order the agent does escape.
        """
        goal_x = self.arena.goal_rect[0]
        if body.position.x + radius > goal_x:
            body.position = (goal_x - radius, body.position.y)
            if body.velocity.x > 0:
                body.velocity = -GOAL_BOUNCE * body.velocity

    def _remove_scored(self) -> int:
        score_x = self.arena.score_x
        scored = [obj for obj in self.objects if obj.body.position.x >= score_x]
        for obj in scored:
            self.space.remove(obj.body, obj.shape)
            self.objects.remove(obj)
        return len(scored)

    # ----------------------------------------------------------------- reading the state
    def agent_position(self) -> np.ndarray:
        return np.array(self.agent.position, dtype=np.float64)

    def object_in_play(self) -> np.ndarray:
        """``(slots,)`` bool: which spawned objects are still in the arena."""
        mask = np.zeros(len(self.kinds), dtype=bool)
        mask[[obj.slot for obj in self.objects]] = True
        return mask

    def object_positions(self) -> np.ndarray:
        """``(slots, 2)`` centroids; NaN for objects already scored."""
        out = np.full((len(self.kinds), 2), np.nan)
        for obj in self.objects:
            out[obj.slot] = obj.body.position
        return out

    def object_angles(self) -> np.ndarray:
        """``(slots,)`` radians; NaN for objects already scored."""
        out = np.full(len(self.kinds), np.nan)
        for obj in self.objects:
            out[obj.slot] = obj.body.angle
        return out

    def object_kinds(self) -> np.ndarray:
        """``(slots,)`` index of each spawned object's outline in :data:`SHAPE_NAMES`."""
        return np.array([SHAPE_NAMES.index(kind) for kind in self.kinds], dtype=np.int64)

    def object_polygons(self) -> tuple[np.ndarray, list[int]]:
        """World-frame vertices of the objects in play, stacked, and each one's vertex count."""
        return world_polygons([o.body for o in self.objects], [o.local_vertices for o in self.objects])

    def distractor_polygons(self) -> tuple[np.ndarray, list[int]]:
        return world_polygons([d.body for d in self.distractors], [DISTRACTOR_SHAPE] * len(self.distractors))


def world_polygons(bodies, outlines) -> tuple[np.ndarray, list[int]]:
    """Rotate and translate each body's local outline in one vectorised pass.

    Returns the stacked (V, 2) world vertices and the vertex count of each body.
    """
    counts = [len(outline) for outline in outlines]
    if not bodies:
        return np.zeros((0, 2)), counts
    local = np.concatenate(outlines)
    pose = np.repeat(np.array([(b.position.x, b.position.y, b.angle) for b in bodies]), counts, axis=0)
    c, s = np.cos(pose[:, 2]), np.sin(pose[:, 2])
    world = np.empty_like(local)
    world[:, 0] = local[:, 0] * c - local[:, 1] * s + pose[:, 0]
    world[:, 1] = local[:, 0] * s + local[:, 1] * c + pose[:, 1]
    return world, counts


def spawn_episode(world: World, rng: np.random.Generator, num_objects: int, num_distractors: int,
                  max_tries: int = 10_000) -> None:
    """Place agent, distractors and objects without overlaps (rejection on bounding circles).

    Agent and distractors: uniform in the interior left of the goal column; objects: uniform in
    the left 70 % of the interior with a uniform angle, shape and colour drawn independently.
    Each body's centre is drawn from the box shrunk by its bounding radius.
    """
    x0, y0, x1, y1 = world.arena.interior
    goal_x = world.arena.goal_rect[0]
    placed: list[tuple[float, float, float]] = []  # (x, y, radius)

    def sample(radius: float, x_max: float) -> tuple[float, float]:
        for _ in range(max_tries):
            x = float(rng.uniform(x0 + radius, x_max - radius))
            y = float(rng.uniform(y0 + radius, y1 - radius))
            if all(math.hypot(x - px, y - py) > radius + pr for px, py, pr in placed):
                placed.append((x, y, radius))
                return x, y
        raise RuntimeError(f"could not place a body of radius {radius} without overlap")

    world.agent.position = sample(AGENT_RADIUS, goal_x)
    for _ in range(num_distractors):
        world.add_distractor(sample(DISTRACTOR_EXTENT, goal_x))
    spawn_x_max = x0 + SPAWN_FRACTION * (x1 - x0)
    for _ in range(num_objects):
        kind = SHAPE_NAMES[int(rng.integers(len(SHAPE_NAMES)))]
        colour = COLOUR_NAMES[int(rng.integers(len(COLOUR_NAMES)))]
        position = sample(SHAPE_RADII[kind], spawn_x_max)
        world.add_object(kind, colour, position, float(rng.uniform(0.0, 2.0 * math.pi)))
