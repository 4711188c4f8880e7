"""The three hidden topologies of the parsimonious-dynamics paper (Saanum & Schulz, §4.1-4.2).

A :class:`World` is everything about a grid that does not depend on the episode: its free
cells, the transition table ``P[cell, action] -> cell``, the wall bits of every cell and the
all-pairs shortest-path distances (BFS over ``P``). Cells are numbered row-major over the
*free* cells only, so every row of every table belongs to a state the agent can occupy.
Worlds are built once per process and shared read-only.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ACTION_NAMES = ("LEFT", "RIGHT", "UP", "DOWN", "STAY")
STAY = 4
# (row, col) displacement of each action; UP decreases the row (row 0 is drawn at the top).
ACTION_DELTAS = np.array([(0, -1), (0, 1), (-1, 0), (1, 0), (0, 0)], dtype=np.int64)

# Sutton, Precup & Singh (1999) interior walls, as (row, col) on the 11x11 grid (spec table).
FOUR_ROOMS_WALLS = (
    (0, 5), (1, 5), (3, 5), (4, 5), (5, 0), (5, 2), (5, 3), (5, 4), (5, 5),
    (6, 5), (6, 6), (6, 7), (6, 9), (6, 10), (7, 5), (8, 5), (10, 5),
)
FOUR_ROOMS_DOORS = ((2, 5), (9, 5), (5, 1), (6, 8))


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class World:
    """One topology. All arrays are read-only and shared by every env of the process.

    Attributes:
        name: ``"GridWorld"``, ``"FourRooms"`` or ``"Torus"``.
        free: ``(rows, cols)`` bool mask of the cells the agent can occupy.
        coords: ``(n, 2)`` int64 (row, col) of free cell ``i``.
        index: ``(rows, cols)`` int64 cell number, -1 on walls.
        P: ``(n, 5)`` int64 next cell for every (cell, action); a move into a wall stays.
        wall_bits: ``(n, 4)`` float32, 1 where LEFT, RIGHT, UP, DOWN is blocked (zeros on a torus).
        distances: ``(n, n)`` int64 shortest-path length between every pair of cells.
    """

    name: str
    wraps: bool
    free: np.ndarray
    coords: np.ndarray
    index: np.ndarray
    P: np.ndarray
    wall_bits: np.ndarray
    distances: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.free.shape

    @property
    def num_cells(self) -> int:
        return len(self.coords)

    def cell_of(self, row: int, col: int) -> int:
        """Cell number of (row, col); ``ValueError`` if outside the grid or on a wall."""
        rows, cols = self.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(f"({row}, {col}) is outside the {rows}x{cols} {self.name} grid")
        cell = int(self.index[row, col])
        if cell < 0:
            raise ValueError(f"({row}, {col}) is a wall cell of {self.name}")
        return cell


def _transitions(free: np.ndarray, wraps: bool, index: np.ndarray, coords: np.ndarray):
    rows, cols = free.shape
    targets = coords[:, None, :] + ACTION_DELTAS[None, :, :]  # (n, 5, 2)
    if wraps:
        targets %= (rows, cols)
    inside = ((targets >= 0) & (targets < (rows, cols))).all(axis=-1)
    clipped = np.clip(targets, 0, (rows - 1, cols - 1))
    open_ = inside & free[clipped[..., 0], clipped[..., 1]]
    here = np.arange(len(coords))[:, None].repeat(len(ACTION_DELTAS), axis=1)
    P = np.where(open_, index[clipped[..., 0], clipped[..., 1]], here)
    wall_bits = (~open_[:, :STAY]).astype(np.float32)
    return P, wall_bits


def _all_pairs_bfs(P: np.ndarray) -> np.ndarray:
    n = len(P)
    distances = np.full((n, n), -1, dtype=np.int64)
    for source in range(n):
        row = distances[source]
        row[source] = 0
        queue = deque([source])
        while queue:
            cell = queue.popleft()
            for nxt in P[cell]:
                if row[nxt] < 0:
                    row[nxt] = row[cell] + 1
                    queue.append(nxt)
    if (distances < 0).any():
        raise AssertionError("world has unreachable free cells")
    return distances


def _build(name: str, free: np.ndarray, wraps: bool) -> World:
    coords = np.argwhere(free).astype(np.int64)  # row-major
    index = np.full(free.shape, -1, dtype=np.int64)
    index[coords[:, 0], coords[:, 1]] = np.arange(len(coords))
    P, wall_bits = _transitions(free, wraps, index, coords)
    arrays = dict(free=free, coords=coords, index=index, P=P, wall_bits=wall_bits,
                  distances=_all_pairs_bfs(P))
    return World(name=name, wraps=wraps, **{k: _readonly(v) for k, v in arrays.items()})


def _four_rooms_free() -> np.ndarray:
    free = np.ones((11, 11), dtype=bool)
    for row, col in FOUR_ROOMS_WALLS:
        free[row, col] = False
    return free


_LAYOUTS = {
    "GridWorld": lambda: (np.ones((11, 11), dtype=bool), False),
    "FourRooms": lambda: (_four_rooms_free(), False),
    "Torus": lambda: (np.ones((13, 13), dtype=bool), True),
}
WORLD_NAMES = tuple(_LAYOUTS)


@lru_cache(maxsize=None)
def get_world(name: str) -> World:
    """The shared :class:`World` called ``name`` (one of :data:`WORLD_NAMES`)."""
    if name not in _LAYOUTS:
        raise ValueError(f"world={name!r} is unknown; expected one of {WORLD_NAMES}")
    free, wraps = _LAYOUTS[name]()
    return _build(name, free, wraps)


@lru_cache(maxsize=32)
def observation_table(name: str, obs_dim: int, world_seed: int, obs_mean: float) -> np.ndarray:
    """``(n, obs_dim [+4])`` float32: the fixed vector each cell emits.

    Vectors ``s ~ N(obs_mean, I)`` are drawn once from ``world_seed`` (paper §4: "drawn when
    environments are initialized, and then remain fixed for the duration of an experiment");
    bounded worlds append the cell's 4 wall bits (§4.1).
    """
    world = get_world(name)
    vectors = np.random.default_rng(world_seed).standard_normal((world.num_cells, obs_dim)) + obs_mean
    parts = [vectors.astype(np.float32)] + ([] if world.wraps else [world.wall_bits])
    return _readonly(np.concatenate(parts, axis=1))
