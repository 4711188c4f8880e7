"""The one table of every wmenvs ID.

Each row is a benchmark protocol (action repeat, image size, episode length are part of the
ID). ``import wmenvs`` registers every row with Gymnasium; ``wmenvs.list_envs(tag)`` and
``python -m wmenvs list`` read this same table. Families add their rows through one function
each below; entry points are strings so importing ``wmenvs`` loads no simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import gymnasium as gym

NAMESPACE = "wmenvs"


@dataclass(frozen=True)
class EnvEntry:
    """One registered ID: what ``gym.make`` builds and how it is catalogued."""

    id: str
    entry_point: str
    max_episode_steps: int | None
    kwargs: Mapping[str, object] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    summary: str = ""
    vector_entry_point: str | None = None
    demo_policy: str | None = None  # "module:Class" with act(obs, info) -> action

    def __post_init__(self):
        object.__setattr__(self, "kwargs", MappingProxyType(dict(self.kwargs)))


# --------------------------------------------------------------------------- ShapeHerd (VSG)
SHAPEHERD_DISTRACTORS = (0, 1, 2, 4)
SHAPEHERD_ARENA_SCALES = (1.0, 1.2, 1.4, 1.6)


def shapeherd_variant_id(num_distractors: int, arena_scale: float) -> str:
    """ID of one cell of the BBS variant grid, e.g. ``wmenvs/ShapeHerdBBS-d2-s1.4-v0``."""
    return f"{NAMESPACE}/ShapeHerdBBS-d{num_distractors}-s{arena_scale:.1f}-v0"


def _shapeherd_entries() -> list[EnvEntry]:
    common = dict(
        entry_point="wmenvs.shapeherd.env:ShapeHerdEnv",
        max_episode_steps=750,
        demo_policy="wmenvs.shapeherd.scripted:ScriptedPusher",
    )
    tags = ("vsg", "shapeherd", "pixels")
    entries = [
        EnvEntry(id=f"{NAMESPACE}/ShapeHerd-v0", kwargs={"reward": "dense"}, tags=tags,
                 summary="push 5 shapes into the goal pocket, 64x64 partial view, dense reward (VSG eq. 9)",
                 **common),
        EnvEntry(id=f"{NAMESPACE}/ShapeHerdSparse-v0", kwargs={"reward": "sparse"}, tags=tags,
                 summary="ShapeHerd with 1 per object (the reward of VSG's released runs)", **common),
    ]
    for distractors in SHAPEHERD_DISTRACTORS:
        for scale in SHAPEHERD_ARENA_SCALES:
            entries.append(EnvEntry(
                id=shapeherd_variant_id(distractors, scale),
                kwargs={"reward": "sparse", "num_distractors": distractors, "arena_scale": scale},
                tags=(*tags, "bbs-variant"),
                summary=f"BBS variant: {distractors} Brownian distractors, arena x{scale:.1f}, sparse reward",
                **common,
            ))
    return entries


# --------------------------------------------------------------------------- Random-vector grids (parsimonious)
GRID_WORLDS = ("GridWorld", "FourRooms", "Torus")


def _gridworld_entries() -> list[EnvEntry]:
    blurb = {"GridWorld": "11x11 grid with boundary walls", "FourRooms": "11x11 four rooms (104 cells)",
             "Torus": "13x13 torus, every edge wraps"}
    tasks = (  # (ID suffix, class stem, episode steps, extra tags, summary)
        ("", "GridNavigation", 250, ("fixed-start",), "random-vector states, fixed start and goal (policy learning)"),
        ("Planning", "GridPlanning", 50, ("planning",), "random distinct start and goal per reset, Dict goal observation"),
    )
    return [EnvEntry(id=f"{NAMESPACE}/{world}{suffix}-v0", entry_point=f"wmenvs.gridworlds.env:{stem}Env",
                     vector_entry_point=f"wmenvs.gridworlds.vector:{stem}VectorEnv",
                     max_episode_steps=steps, kwargs={"world": world},
                     tags=("parsimonious", "gridworld", "state", *extra_tags), summary=f"{blurb[world]}, {what}")
            for world in GRID_WORLDS for suffix, stem, steps, extra_tags, what in tasks]


ENV_TABLE: tuple[EnvEntry, ...] = (
    *_shapeherd_entries(),
    *_gridworld_entries(),
)


def register_all() -> None:
    """Register every row of :data:`ENV_TABLE` with Gymnasium (idempotent)."""
    for entry in ENV_TABLE:
        if entry.id in gym.registry:
            continue
        gym.register(
            id=entry.id,
            entry_point=entry.entry_point,
            max_episode_steps=entry.max_episode_steps,
            kwargs=dict(entry.kwargs),
            vector_entry_point=entry.vector_entry_point,
        )


def list_envs(tag: str | None = None) -> list[EnvEntry]:
    """Rows of the table, optionally only those carrying ``tag`` (e.g. ``"pixels"``, ``"vsg"``)."""
    return [entry for entry in ENV_TABLE if tag is None or tag in entry.tags]


def get_entry(env_id: str) -> EnvEntry:
    """The row of ``env_id``; ``KeyError`` naming close matches when it is unknown."""
    for entry in ENV_TABLE:
        if entry.id == env_id:
            return entry
    import difflib

    close = difflib.get_close_matches(env_id, [e.id for e in ENV_TABLE], n=3)
    raise KeyError(f"unknown wmenvs ID {env_id!r}; did you mean {close}? (python -m wmenvs list)")


def format_table(entries: list[EnvEntry]) -> str:
    """A fixed-width text table of ``entries`` for the CLI."""
    rows = [("ID", "steps", "tags", "summary")]
    rows += [(e.id, str(e.max_episode_steps), ",".join(e.tags), e.summary) for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3]
             for row in rows]
    return "\n".join(lines)
