"""The papers' benchmark protocols over wmenvs IDs, so agents never hard-code them.

``protocol("planet", "cheetah-run")`` says which ID, action repeat and image layout PlaNet
used for a task; ``make_protocol_env("planet", "cheetah-run")`` builds it. Scores are summed
over repeated steps (0-1000 on DMC) and budgets count env steps, not agent steps.

========  ==================================================================================
planet    DMC pixels, per-domain action repeat of PlaNet (Hafner et al. 2019, Table 1 setup;
          google-research/planet): cartpole 8, reacher 4, cheetah 4, finger 2,
          ball_in_cup 4, walker 2 (some ports use 6 for cup: wrong)
dreamer   DMC pixels, action repeat 2 on every task (DreamerV1/V2)
vsg       DMC pixels, action repeat 2 (Jain et al. 2022, Sec. 5.2); ShapeHerd IDs already
          contain VSG's repeat of 4, so they run with repeat 1
alm       MuJoCo locomotion state IDs, no action repeat (Ghugare et al. 2023, Table 1)
dyne      Reacher / 7DoF pixel IDs, 4 stacked frames -> (12, 64, 64), no action repeat
          (Whitney et al. 2020, appendix B)
========  ==================================================================================

Pixel protocols hand the agent channel-first ``(3, 64, 64)`` uint8 images (PyTorch layout);
``dataclasses.replace(p, channel_first=False)`` keeps ``(64, 64, 3)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

from wmenvs.registration import MUJOCO_ARM_TASKS, NAMESPACE, dmc_id, get_entry
from wmenvs.wrappers.action_repeat import ActionRepeat
from wmenvs.wrappers.channel_first import ChannelFirst
from wmenvs.wrappers.frame_stack import ChannelFirstFrameStack

PLANET_ACTION_REPEAT = {"cartpole": 8, "reacher": 4, "cheetah": 4, "finger": 2, "ball_in_cup": 4,
                        "walker": 2}
DREAMER_ACTION_REPEAT = 2
ALM_TASKS = ("T-Humanoid", "T-Ant", "HalfCheetah", "Walker2d", "Hopper")
DYNE_TASKS = tuple(row[0] for row in MUJOCO_ARM_TASKS)
DYNE_FRAME_STACK = 4
PROTOCOL_NAMES = ("planet", "dreamer", "vsg", "alm", "dyne")


@dataclass(frozen=True)
class Protocol:
    """One paper's way of running one task."""

    name: str
    env_id: str
    action_repeat: int
    channel_first: bool = False
    frame_stack: int = 1

    def make(self, **env_kwargs) -> gym.Env:
        """``gym.make(env_id)`` wrapped in the protocol's action repeat and image layout."""
        env = gym.make(self.env_id, **env_kwargs)
        if self.action_repeat > 1:
            env = ActionRepeat(env, self.action_repeat)
        if self.frame_stack > 1:
            return ChannelFirstFrameStack(env, self.frame_stack)  # channel-first by construction
        return ChannelFirst(env) if self.channel_first else env


def protocol(name: str, task: str) -> Protocol:
    """The protocol ``name`` for ``task`` (DMC ``"<domain>-<task>"``, ALM ``"T-Ant"``, DynE
    ``"ReacherTurn"``, VSG also ``"ShapeHerd"``)."""
    if name not in PROTOCOL_NAMES:
        raise ValueError(f"protocol name={name!r}; expected one of {PROTOCOL_NAMES}")
    if name == "alm":
        if task not in ALM_TASKS:
            raise ValueError(f"task={task!r} is not an ALM task; expected one of {ALM_TASKS}")
        return Protocol(name, f"{NAMESPACE}/{task}-v0", action_repeat=1)
    if name == "dyne":
        if task not in DYNE_TASKS:
            raise ValueError(f"task={task!r} is not a DynE task; expected one of {DYNE_TASKS}")
        return Protocol(name, f"{NAMESPACE}/{task}Pixels-v0", action_repeat=1, frame_stack=DYNE_FRAME_STACK)
    if name == "vsg" and task.startswith("ShapeHerd"):
        return Protocol(name, _registered(f"{NAMESPACE}/{task}-v0"), action_repeat=1)
    domain, _, task_name = task.partition("-")
    env_id = _registered(dmc_id(domain, task_name, pixels=True))
    if name == "planet":
        if domain not in PLANET_ACTION_REPEAT:
            raise ValueError(f"task={task!r}: PlaNet defines action repeats only for the domains "
                             f"{sorted(PLANET_ACTION_REPEAT)}")
        return Protocol(name, env_id, PLANET_ACTION_REPEAT[domain], channel_first=True)
    return Protocol(name, env_id, DREAMER_ACTION_REPEAT, channel_first=True)


def make_protocol_env(name: str, task: str, **env_kwargs) -> gym.Env:
    """``protocol(name, task).make(**env_kwargs)``."""
    return protocol(name, task).make(**env_kwargs)


def _registered(env_id: str) -> str:
    try:
        return get_entry(env_id).id
    except KeyError as error:
        raise ValueError(f"task has no registered ID: {error.args[0]}") from None
