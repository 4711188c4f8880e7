"""The one table of every wmenvs ID.

Each row is a benchmark protocol (action repeat, image size, episode length are part of the
ID): a paper's protocol is an ID tagged with the paper (``list_envs(tag="planet")``), never a
wrapper stack the user assembles. An ID whose step takes several simulator steps reports them
in ``info["env_steps"]``; budgets count simulator steps. ``import wmenvs`` registers every row with Gymnasium; ``wmenvs.list_envs(tag)`` and
``python -m wmenvs list`` read this same table. Families add their rows through one function
each below; entry points are strings so importing ``wmenvs`` loads no simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import gymnasium as gym

NAMESPACE = "wmenvs"
# outermost wrapper of every ID without a batched vector env (wmenvs/wrappers/guard.py):
# seed / options checks, no step after an episode's end
EPISODE_GUARD = gym.envs.registration.WrapperSpec(
    "EpisodeGuard", "wmenvs.wrappers.guard:EpisodeGuard", {})


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
                kwargs={"reward": "sparse", "num_distractors": distractors, "arena_scale": scale,
                        "agent_elasticity": 0.0},
                tags=(*tags, "bbs-variant"),
                summary=f"BBS variant: {distractors} Brownian distractors, arena x{scale:.1f}, "
                        "sparse reward, agent elasticity 0 (the released code)",
                **common,
            ))
    return entries


# --------------------------------------------------------------------------- DeepMind Control
# PlaNet's six tasks and VSG's twelve (13 distinct); any other suite task: wmenvs.dmc.DMCEnv.
DMC_PLANET_TASKS = (("cartpole", "swingup"), ("reacher", "easy"), ("cheetah", "run"),
                    ("finger", "spin"), ("ball_in_cup", "catch"), ("walker", "walk"))
DMC_VSG_TASKS = (("cartpole", "swingup"), ("cheetah", "run"), ("finger", "spin"),
                 ("finger", "turn_hard"), ("hopper", "stand"), ("pendulum", "swingup"),
                 ("quadruped", "run"), ("quadruped", "walk"), ("reacher", "easy"),
                 ("reacher", "hard"), ("walker", "run"), ("walker", "walk"))
DMC_TASKS = tuple(dict.fromkeys(DMC_PLANET_TASKS + DMC_VSG_TASKS))


def dmc_id(domain: str, task: str, pixels: bool = False) -> str:
    """ID of a DMC task, e.g. ``wmenvs/DMC-cheetah-run-Pixels-v0``."""
    return f"{NAMESPACE}/DMC-{domain}-{task}{'-Pixels' if pixels else ''}-v0"


def _dmc_entries() -> list[EnvEntry]:
    """The plain suite tasks (no action repeat); the papers' protocols are the rows below."""
    return [EnvEntry(id=dmc_id(domain, task, pixels), entry_point="wmenvs.dmc.env:DMCEnv",
                     max_episode_steps=DMC_EPISODE_STEPS,
                     kwargs={"domain": domain, "task": task, "pixels": pixels},
                     tags=("dmc", "pixels" if pixels else "state"),
                     summary=f"dm_control {domain}-{task}, "
                             + ("64x64x3 uint8 image (DMC look)" if pixels
                                else "flat float64 state"))
            for domain, task in DMC_TASKS for pixels in (False, True)]


# The papers' DMC protocols: 64x64x3 pixels, one ID step = R simulator steps (rewards summed,
# info["env_steps"] = R), so an episode is 1000 // R ID steps and scores stay on the 0-1000 scale.
DMC_EPISODE_STEPS = 1000
# PlaNet (Hafner et al. 2019, "Learning Latent Dynamics for Planning from Pixels",
# arXiv:1811.04551, Sec. 5 / Appendix A): R per domain (some ports use 6 for cup: wrong).
PLANET_ACTION_REPEAT = {"cartpole": 8, "reacher": 4, "cheetah": 4, "finger": 2, "ball_in_cup": 4,
                        "walker": 2}
# DreamerV1/V2 (arXiv:1912.01603, 2010.02193) and VSG (Jain et al. 2022, Sec. 5.2): R = 2 on all.
DREAMER_ACTION_REPEAT = 2


def planet_id(domain: str, task: str) -> str:
    """PlaNet's protocol ID of a task, e.g. ``wmenvs/PlaNet-cheetah-run-v0``."""
    return f"{NAMESPACE}/PlaNet-{domain}-{task}-v0"


def dreamer_id(domain: str, task: str) -> str:
    """The Dreamer / VSG protocol ID of a task, e.g. ``wmenvs/Dreamer-walker-run-v0``."""
    return f"{NAMESPACE}/Dreamer-{domain}-{task}-v0"


def _dmc_protocol_entries() -> list[EnvEntry]:
    def entry(env_id, domain, task, repeat, tags, who):
        return EnvEntry(id=env_id, entry_point="wmenvs.dmc.env:DMCEnv",
                        max_episode_steps=DMC_EPISODE_STEPS // repeat,
                        kwargs={"domain": domain, "task": task, "pixels": True,
                                "action_repeat": repeat},
                        tags=(*tags, "dmc", "pixels", "protocol"),
                        summary=f"{who} protocol: dm_control {domain}-{task}, 64x64x3 uint8 "
                                f"image, action repeat {repeat}")
    return ([entry(planet_id(d, t), d, t, PLANET_ACTION_REPEAT[d], ("planet",), "PlaNet")
             for d, t in DMC_PLANET_TASKS]
            + [entry(dreamer_id(d, t), d, t, DREAMER_ACTION_REPEAT, ("dreamer", "vsg"),
                     "Dreamer / VSG") for d, t in DMC_VSG_TASKS])


# --------------------------------------------------------------------------- MuJoCo locomotion (ALM)
def _locomotion_entries() -> list[EnvEntry]:
    rows = (("T-Ant", "TruncatedAnt", "MBPO's truncated Ant: Ant-v5, 27-dim obs (qpos[2:], qvel)"),
            ("T-Humanoid", "TruncatedHumanoid",
             "MBPO's truncated Humanoid: Humanoid-v5, 45-dim obs (qpos[2:], qvel), actions +-0.4"),
            ("HalfCheetah", "HalfCheetah", "HalfCheetah-v5, 17-dim obs"),
            ("Walker2d", "Walker2d", "Walker2d-v5 on the v2-v4 walker2d.xml (feet frictions 0.9 / 1.9)"),
            ("Hopper", "Hopper", "Hopper-v5, 11-dim obs"))
    return [EnvEntry(id=f"{NAMESPACE}/{name}-v0", entry_point=f"wmenvs.locomotion:{cls}",
                     max_episode_steps=1000, tags=("alm", "locomotion", "state"), summary=summary)
            for name, cls, summary in rows]


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


# --------------------------------------------------------------------------- MuJoCo arms (DynE)
MUJOCO_ARM_TASKS = (  # (task, class, family, summary)
    ("ReacherVertical", "ReacherVerticalEnv", "reacher", "2-link arm in a vertical plane reaches a target"),
    ("ReacherTurn", "ReacherTurnEnv", "reacher", "2-link arm turns a spinner's tip onto a target"),
    ("ReacherPush", "ReacherPushEnv", "reacher", "2-link arm pushes a cube onto a target"),
    ("Pusher", "PusherEnv", "7dof", "7-DoF arm pushes a puck onto a goal (Gym Pusher)"),
    ("Striker", "StrikerEnv", "7dof", "7-DoF arm strikes a ball into a goal (Gym Striker)"),
    ("Thrower", "ThrowerEnv", "7dof", "7-DoF arm throws a ball into a tray (Gym Thrower)"),
)


# DynE (Whitney et al. 2020, "Dynamics-aware Embeddings", appendix B): pixel agents see the
# last 4 frames; the protocol ID stacks them on the channel axis, (64, 64, 12) uint8.
DYNE_FRAME_STACK = 4


def _mujoco_arm_entries() -> list[EnvEntry]:
    entries = []
    for task, cls, family, summary in MUJOCO_ARM_TASKS:
        for pixels in (False, True):
            entries.append(EnvEntry(
                id=f"{NAMESPACE}/{task}{'Pixels' if pixels else ''}-v0",
                entry_point=f"wmenvs.mujoco:{cls}", max_episode_steps=100,
                kwargs={"obs_type": "pixels" if pixels else "state"},
                tags=("dyne", family, "pixels" if pixels else "state"),
                summary=summary + (", 64x64x3 uint8 image" if pixels else ", flat float64 state")))
        entries.append(EnvEntry(
            id=f"{NAMESPACE}/DynE-{task}Pixels-v0", entry_point=f"wmenvs.mujoco:{cls}",
            max_episode_steps=100, kwargs={"obs_type": "pixels", "frame_stack": DYNE_FRAME_STACK},
            tags=("dyne", family, "pixels", "protocol"),
            summary=f"DynE pixel protocol: {summary}, last {DYNE_FRAME_STACK} 64x64x3 frames "
                    f"stacked, (64, 64, {3 * DYNE_FRAME_STACK}) uint8"))
    return entries


ENV_TABLE: tuple[EnvEntry, ...] = (
    *_shapeherd_entries(),
    *_gridworld_entries(),
    *_dmc_entries(),
    *_dmc_protocol_entries(),
    *_locomotion_entries(),
    *_mujoco_arm_entries(),
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
            additional_wrappers=() if entry.vector_entry_point else (EPISODE_GUARD,),
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
