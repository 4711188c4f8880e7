"""The agent table: to agents what :data:`wmenvs.ENV_TABLE` is to environments.

One row per agent: its module (which ends with ``make_agent(observation_space, action_space,
*, seed, device, overrides)``), its config class (every field cites its source), the paper
and the section or table its defaults come from, and the spaces it supports. Planners that
act on the environment itself (the CEM + true simulator oracle) have their own table, with
``make_planner(env, *, seed, overrides)``. ``python -m wmagents list`` prints both;
``tests/test_agent_battery.py`` runs every agent row, so adding a row is enough to test it.
Variants are presets (overrides such as ``model="vae"``), not rows.

Space kinds: observations ``vector`` (flat Box), ``image`` (64x64x3 uint8 Box), ``goal``
(Dict with ``observation`` and ``desired_goal`` vectors); actions ``box`` (1-D Box) and
``discrete``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Mapping

PARSIMONIOUS = ('Saanum & Schulz 2022, "Learning Parsimonious Dynamics for Generalization in '
                'Reinforcement Learning"')
PLANET = ('Hafner et al. 2019, "Learning Latent Dynamics for Planning from Pixels" '
          "(arXiv:1811.04551)")
DREAMER = ('Hafner et al. 2020, "Dream to Control: Learning Behaviors by Latent Imagination" '
           '(arXiv:1912.01603); Hafner et al. 2021, "Mastering Atari with Discrete World Models" '
           "(arXiv:2010.02193)")
VSG = 'Jain et al. 2022, "Learning Robust Dynamics through Variational Sparse Gating"'
DYNE = 'Whitney et al. 2020, "Dynamics-aware Embeddings" (ICLR 2020)'
_DREAMER_SMOKE = {"deter": 16, "hidden": 16, "stoch": 4, "classes": 4, "cnn_depth": 2,
                  "head_units": 16, "batch_size": 4, "chunk_length": 3, "prefill": 20,
                  "train_every": 10, "pretrain": 2, "horizon": 3}


@dataclass(frozen=True)
class AgentEntry:
    name: str
    module: str                       # defines make_agent (agents) or make_planner (planners)
    config: str                       # the config dataclass in ``module``
    paper: str                        # title (and arXiv id) of the paper the defaults follow
    source: str                       # where in that paper: section, table, appendix
    observations: tuple[str, ...]     # supported observation kinds (see the module docstring)
    actions: tuple[str, ...]          # supported action kinds
    smoke: Mapping[str, object] = field(default_factory=dict)  # overrides for runs of seconds
    stores_transitions: bool = True   # keeps a replay of what it observed
    presets: tuple[str, ...] = ()     # values of its ``preset`` override (the module's PRESETS)

    def __post_init__(self):
        object.__setattr__(self, "smoke", MappingProxyType(dict(self.smoke)))

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def config_class(self):
        return getattr(self.load(), self.config)


AGENT_TABLE: tuple[AgentEntry, ...] = (
    AgentEntry("random", "wmagents.agents.random_agent", "RandomConfig",
               "uniform random actions (the normalisation floor of every table)",
               "no hyper-parameters", ("vector", "image", "goal"), ("box", "discrete"),
               stores_transitions=False),
    AgentEntry("sac", "wmagents.agents.sac", "SACConfig",
               'Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications" '
               "(arXiv:1812.05905)", "Table 1; Sec. 5 (automatic temperature)",
               ("vector",), ("box",),
               smoke={"hidden": [16, 16], "batch_size": 8, "learning_starts": 20}),
    AgentEntry("td3", "wmagents.agents.td3", "TD3Config",
               'Fujimoto et al. 2018, "Addressing Function Approximation Error in Actor-Critic '
               'Methods" (arXiv:1802.09477)', "Algorithm 1; Sec. 5-6, App. C (2018 code schedule)",
               ("vector",), ("box",),
               smoke={"hidden": [16, 16], "batch_size": 8, "random_steps": 20}),
    AgentEntry("dyne_td3", "wmagents.agents.dyne_td3", "DynETD3Config", DYNE,
               "Sec. 3.2, App. B (Action DynE of Sec. 2.2 / 3.1; TD3 of the 2018 code)",
               ("vector",), ("box",),
               smoke={"hidden": [16, 16], "batch_size": 8, "k": 2, "pretrain_steps": 20,
                      "embedding_hidden": [16, 16], "embedding_updates": 5,
                      "decoder_updates": 5}),
    AgentEntry("embedded_td3", "wmagents.agents.embedded_td3", "EmbeddedTD3Config", DYNE,
               "Sec. 5.3, App. A.1, B (method: sa_dyne | s_dyne | vae, the Fig. 5 rows)",
               ("image",), ("box",),
               smoke={"hidden": [16, 16], "batch_size": 8, "k": 2, "pretrain_steps": 20,
                      "state_updates": 2, "decoder_updates": 2, "embedding_width": 4,
                      "embedding_hidden": 16, "state_latent": 8, "vae_latent": 2}),
    AgentEntry("pixel_td3", "wmagents.agents.pixel_td3", "PixelTD3Config", DYNE,
               "Sec. 5.3 (Fig. 5 baseline; the release's rl/PixelTD3.py)", ("image",), ("box",),
               smoke={"hidden": [16, 16], "batch_size": 8, "channels": 4, "random_steps": 20}),
    AgentEntry("redq", "wmagents.agents.redq", "REDQConfig",
               'Chen et al. 2021, "Randomized Ensembled Double Q-Learning: Learning Fast Without '
               'a Model" (arXiv:2101.05982)', "Algorithm 1; Sec. 3, App. B (SAC backbone)",
               ("vector",), ("box",),
               smoke={"hidden": [16, 16], "batch_size": 8, "learning_starts": 20,
                      "critics": 3, "updates_per_step": 2}),
    AgentEntry("alm", "wmagents.agents.alm", "ALMConfig",
               'Ghugare et al. 2023, "Simplifying Model-based RL: Learning Representations, '
               'Latent-space Models, and Policies with One Objective" (arXiv:2209.08466)',
               "Algorithm 1; eq. 7-11, App. D Tables 3-4 (losses as the released code)",
               ("vector",), ("box",),
               smoke={"horizon": 2, "latent_dim": 4, "hidden": 16, "model_hidden": 16,
                      "batch_size": 8, "random_steps": 20}),
    AgentEntry("mbpo", "wmagents.agents.mbpo", "MBPOConfig",
               'Janner et al. 2019, "When to Trust Your Model: Model-Based Policy Optimization" '
               "(arXiv:1906.08253)", "Algorithm 2; App. C (and the released configs)",
               ("vector",), ("box",),
               smoke={"members": 3, "elites": 2, "model_hidden": [8, 8],
                      "weight_decay": [1e-5, 1e-5, 1e-5], "model_batch": 8,
                      "model_max_epochs": 3, "model_train_every": 10, "rollout_batch": 16,
                      "epoch_length": 20, "sac_updates_per_step": 1, "random_steps": 20,
                      "hidden": [16, 16], "batch_size": 8}),
    AgentEntry("sac_svg", "wmagents.agents.sac_svg", "SACSVGConfig",
               'Amos et al. 2021, "On the model-based stochastic value gradient for continuous '
               'reinforcement learning" (arXiv:2008.12775)',
               "Sec. 3-4 (SAC-SVG(H)); the released config/train.yaml", ("vector",), ("box",),
               smoke={"horizon": 2, "hidden": [16, 16], "model_latent": 8,
                      "model_encoder_hidden": [8], "head_hidden": [8], "seq_batch_size": 4,
                      "step_batch_size": 8, "model_updates_per_step": 1, "random_steps": 20,
                      "warmup_steps": 40}),
    AgentEntry("sac_discrete", "wmagents.agents.sac_discrete", "DiscreteSACConfig",
               'Christodoulou 2019, "Soft Actor-Critic for Discrete Action Settings" '
               f"(arXiv:1910.07207); settings of {PARSIMONIOUS}",
               "Christodoulou eq. 10-12; Saanum & Schulz A.5-A.6", ("vector",), ("discrete",),
               smoke={"hidden": [16, 16], "batch_size": 8, "updates_per_episode": 2}),
    AgentEntry("parsimonious_sac", "wmagents.agents.parsimonious_sac", "LatentSACConfig",
               PARSIMONIOUS, "Algorithm 1; A.2, A.5-A.6 (model: parsimonious | vae | none)",
               ("vector",), ("discrete",),
               smoke={"hidden": [16, 16], "batch_size": 8, "updates_per_episode": 2,
                      "latent_dim": 4, "model_hidden": [16, 16], "dynamics_batch": 8,
                      "dynamics_updates_per_episode": 2}),
    AgentEntry("parsimonious_planning", "wmagents.agents.parsimonious_planning",
               "PlanningConfig", PARSIMONIOUS,
               "Algorithms 2-3; A.7 (model: parsimonious | rnn | ssm | true)",
               ("goal",), ("discrete",),
               smoke={"latent_dim": 4, "model_hidden": [16, 16], "horizon": 3,
                      "iterations": 2, "candidates": 10, "top_k": 3, "tasks": 3,
                      "dynamics_updates_per_episode": 2, "dynamics_batch": 8}),
    AgentEntry("planet", "wmagents.agents.planet", "PlaNetConfig", PLANET,
               "Algorithm 1; Sec. 3-5, App. A (model: rssm | ssm | rnn)",
               ("image", "vector"), ("box", "discrete"),
               smoke={"deter": 8, "stoch": 4, "hidden": 8, "cnn_depth": 2, "reward_hidden": 8,
                      "reward_layers": 1, "batch_size": 4, "chunk_length": 4,
                      "seed_episodes": 1, "updates_per_episode": 2, "horizon": 3,
                      "iterations": 2, "candidates": 8, "top_k": 2}),
    AgentEntry("dreamer", "wmagents.agents.dreamer", "DreamerConfig", DREAMER,
               "DreamerV1 Algorithm 1; DreamerV2 Sec. 2 and the dmc_vision config",
               ("image", "vector"), ("box",), smoke=_DREAMER_SMOKE,
               presets=("dreamerv2", "dreamerv1")),
    AgentEntry("vsg", "wmagents.agents.vsg", "VSGConfig", VSG,
               "eq. 1-8; Sec. 5 and the released configs and scripts", ("image", "vector"),
               ("box",), smoke={**_DREAMER_SMOKE, "stoch": 4},
               presets=("vsg", "svsg", "vsg_dreamerv2", "vsg_dreamerv1", "vsg_bbs", "svsg_bbs",
                        "vsg_dreamerv2_bbs", "vsg_dreamerv1_bbs")),
)

PLANNER_TABLE: tuple[AgentEntry, ...] = (
    AgentEntry("true_sim_cem", "wmagents.planners.true_sim_cem", "TrueSimCEMConfig", PLANET,
               "Table 1 row 'CEM + true simulator'; Sec. 3 planner", ("any",),
               ("box", "discrete"),
               smoke={"horizon": 2, "iterations": 1, "candidates": 4, "top_k": 1},
               stores_transitions=False),
)


def get_agent(name: str) -> AgentEntry:
    """The row called ``name`` (agents or planners); ``KeyError`` listing the names."""
    for entry in AGENT_TABLE + PLANNER_TABLE:
        if entry.name == name:
            return entry
    names = [e.name for e in AGENT_TABLE + PLANNER_TABLE]
    raise KeyError(f"unknown agent {name!r}; known: {names} (python -m wmagents list)")


def format_agent_table() -> str:
    """The table as fixed-width text for ``python -m wmagents list``."""
    rows = [("name", "kind", "observations", "actions", "module", "defaults from")]
    for kind, table in (("agent", AGENT_TABLE), ("planner", PLANNER_TABLE)):
        rows += [(e.name, kind, ",".join(e.observations), ",".join(e.actions),
                  f"{e.module}:{e.config}", f"{e.paper}: {e.source}"
                  + (f" [presets: {', '.join(e.presets)}]" if e.presets else "")) for e in table]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row[:5], widths)) + "  " + row[5]
                     for row in rows)
