"""A scripted expert for ShapeHerd that acts from ``info`` only.

What a person would do. Objects barely rotate (moment 1e6) and a disc striking a face sends
the object along that face's inward normal, so each push is planned per face: for the chosen
object, take the face whose push line runs straight into the pocket (or, failing that, closest
to the point in front of the pocket's mouth), walk around every object to the spot behind that
face, and push through the centroid. Repeat. Velocity is estimated from successive
``agent_position`` values; a proportional controller turns desired velocities into
(angle, magnitude) actions. It proves the task is solvable and drives ``python -m wmenvs demo``.
"""

from __future__ import annotations

import math

import numpy as np

from wmenvs.shapeherd.world import AGENT_RADIUS, SHAPE_NAMES, SHAPES

AGENT_STEP_SECONDS = 4 / 60      # frame_skip x dt of the registered IDs
STANDOFF = 15.0                  # gap between the agent and a face before a push
CLEARANCE = 52.0                 # agent radius + the largest object's circumradius (+ margin)
APPROACH_SPEED = 300.0           # world units per second
MIN_PUSH_SPEED, MAX_PUSH_SPEED = 60.0, 260.0  # a struck object flies ~4x this far
ON_LINE = 7.0                    # largest sideways offset from the push line that still pushes
GAIN = 3.0                       # force magnitude per unit/s of velocity error
MOUTH_MARGIN = 25.0              # a push line must enter the pocket this far from its edges


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(*v))
    return v / n if n > 1e-9 else np.zeros(2)


def face_pushes(centre: np.ndarray, angle: float, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """For each face: the direction the object moves when pushed on it (inward normal), and
    the face's distance from the centroid."""
    c, s = math.cos(angle), math.sin(angle)
    vertices = SHAPES[SHAPE_NAMES[kind]] @ np.array([[c, s], [-s, c]])
    edges = np.roll(vertices, -1, axis=0) - vertices
    normals = np.column_stack((edges[:, 1], -edges[:, 0]))
    normals /= np.hypot(*normals.T)[:, None]
    middles = vertices + edges / 2
    outward = np.sign(np.einsum("ij,ij->i", middles, normals))[:, None]
    normals *= outward
    return -normals, np.einsum("ij,ij->i", middles, normals)


class ScriptedPusher:
    """``act(obs, info) -> action``; call ``reset()`` between episodes (or make a new one)."""

    def __init__(self, action_space=None):
        self.action_space = action_space
        self.reset()

    def reset(self) -> None:
        self._previous = None
        self._target = None

    def act(self, obs, info) -> np.ndarray:
        agent = np.asarray(info["agent_position"], dtype=np.float64)
        velocity = np.zeros(2) if self._previous is None else (agent - self._previous) / AGENT_STEP_SECONDS
        self._previous = agent
        in_play = np.asarray(info["object_in_play"], dtype=bool)
        objects = np.asarray(info["object_positions"], dtype=np.float64)[in_play]
        if len(objects) == 0:
            return self._drive(-velocity)
        goal = np.asarray(info["goal_rect"], dtype=np.float64)
        angles, kinds = info["object_angles"][in_play], info["object_kinds"][in_play]
        index = self._choose(agent, objects, angles, kinds, goal)
        obj = objects[index]
        push, depth, travel, _ = self._plan_push(obj, float(angles[index]), int(kinds[index]), goal)
        behind = obj - push * (depth + AGENT_RADIUS + STANDOFF)
        offset = agent - obj
        sideways = offset - np.dot(offset, push) * push
        if np.dot(offset, push) < 0 and np.hypot(*sideways) < ON_LINE:
            speed = float(np.clip(travel / 3.5, MIN_PUSH_SPEED, MAX_PUSH_SPEED))
            desired = push * speed - sideways * 4.0
        else:
            waypoint = self._detour(agent, behind, objects)
            gap = waypoint - agent
            desired = _unit(gap) * min(APPROACH_SPEED, 4.0 * float(np.hypot(*gap)))
        return self._drive(desired - velocity)

    # ---------------------------------------------------------------- pieces of the plan
    def _choose(self, agent, objects, angles, kinds, goal) -> int:
        """Keep the current object while it exists; else the cheapest one to bring in,
        objects that no face can be pushed on (pinned by a wall) last."""
        if self._target is not None:
            distances = np.hypot(*(objects - self._target).T)
            if distances.min() < 40.0:
                index = int(distances.argmin())
                self._target = objects[index]
                return index
        costs = np.hypot(*(objects - agent).T) + 2.0 * np.hypot(*(objects - self._staging(goal)).T)
        for i, obj in enumerate(objects):
            if self._plan_push(obj, float(angles[i]), int(kinds[i]), goal)[3] == math.inf:
                costs[i] += 10_000.0
        index = int(np.argmin(costs))
        self._target = objects[index]
        return index

    @staticmethod
    def _staging(goal) -> np.ndarray:
        """In front of the pocket's mouth: from here a rightward push scores."""
        gx0, gy0, _, gy1 = goal
        return np.array([gx0 - 90.0, (gy0 + gy1) / 2])

    def _plan_push(self, obj, angle, kind, goal) -> tuple[np.ndarray, float, float, float]:
        """(push direction, face depth, distance to travel, cost) of the best face.

        A face whose push line enters the mouth scores directly; otherwise pick the face that
        heads closest to the staging point. Faces that need the agent inside a wall are out.
        """
        gx0, gy0, _, gy1 = goal
        pushes, depths = face_pushes(obj, angle, kind)
        staging = self._staging(goal)
        to_staging = _unit(staging - obj)
        best, best_cost = 0, math.inf
        for i, (push, depth) in enumerate(zip(pushes, depths)):
            behind = obj - push * (depth + AGENT_RADIUS + STANDOFF)
            if not np.allclose(self._inside_interior(behind, goal), behind):
                continue
            cost = 1.0 - float(np.dot(push, to_staging))
            if push[0] > 0.05 and obj[0] < gx0:
                y_at_mouth = obj[1] + (gx0 - obj[0]) / push[0] * push[1]
                if gy0 + MOUTH_MARGIN <= y_at_mouth <= gy1 - MOUTH_MARGIN:
                    cost = -1.0 + abs(y_at_mouth - staging[1]) / (gy1 - gy0)
            if cost < best_cost:
                best, best_cost = i, cost
        travel = gx0 + 50.0 - obj[0] if best_cost < 0 else float(np.hypot(*(staging - obj)))
        return pushes[best], float(depths[best]), max(float(travel), 0.0), best_cost

    @staticmethod
    def _inside_interior(point, goal) -> np.ndarray:
        gx0, gy0, _, gy1 = goal
        half = (gy1 - gy0) / 2  # the pocket is half the interior height, centred
        y0, y1, x0 = gy0 - half, gy1 + half, gy0 - half  # walls are equally thick
        return np.clip(point, [x0 + AGENT_RADIUS, y0 + AGENT_RADIUS], [gx0 - AGENT_RADIUS, y1 - AGENT_RADIUS])

    @staticmethod
    def _detour(agent, goal, obstacles) -> np.ndarray:
        """``goal`` if the straight way clears every object, else a point beside the first
        object in the way, on the side the path already passes."""
        path = goal - agent
        length2 = float(np.dot(path, path))
        if length2 < 1e-6:
            return goal
        along = np.clip((obstacles - agent) @ path / length2, 0.0, 1.0)
        closest = agent + along[:, None] * path
        gaps = np.hypot(*(closest - obstacles).T)
        blocking = np.flatnonzero((gaps < CLEARANCE) & (along < 0.999))
        if len(blocking) == 0:
            return goal
        first = blocking[np.argmin(along[blocking])]
        outward = closest[first] - obstacles[first]
        if np.hypot(*outward) < 1e-6:
            outward = np.array([-path[1], path[0]])
        return obstacles[first] + _unit(outward) * (CLEARANCE + 15.0)

    @staticmethod
    def _drive(force_direction: np.ndarray) -> np.ndarray:
        magnitude = min(400.0, GAIN * float(np.hypot(*force_direction)))
        angle = math.atan2(force_direction[1], force_direction[0]) % (2 * math.pi)
        return np.array([angle / math.pi - 1.0, magnitude / 200.0 - 1.0], dtype=np.float32)
