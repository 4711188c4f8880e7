"""DynE-TD3: TD3 acting in the latent action space of an Action DynE (Whitney et al. 2020,
"Dynamics-aware Embeddings", ICLR; §3.2, App. B; ``../shared/specs/dyne.md`` §4).

With an empty plan the actor picks ``z = clip(mu(s) + N(0, sigma_expl^2), -max_e, max_e)``;
the decoder turns it into ``k`` actions, executed one per env step (an episode end clears the
plan). Every env step is stored with its plan's ``z`` and the plan step ``i`` (0 <= i < k), and
every stored step is a training sample. The critic ``Q(s, z, i)`` regresses on the k-step target
of the paper, for a sample with ``m = k - i_0`` plan steps left and ``n <= m`` of them stored
before an episode end:

    y = sum_{j<n} gamma^j r_j + gamma^n (1 - terminated) min_i Q'_i(s_n, z~, i~),

``(z~, i~) = (clip(mu'(s_n) + clipped noise), 0)`` when the plan ran out (``n = m``), else the same
plan ``(z_0, i_0 + n)`` (a plan cut by the time limit; decision 4: samples never cross an
episode end, unlike the release for k = 8). The actor ascends ``Q_1(s, mu(s), 0)``.

Settings (spec §4 and decisions 2, 7): max_e = 3 (the decoder's z ~ N(0, I)),
sigma_expl = 0.1 max_e, target sigma = 0.2 max_e / k, noise clip 0.5 (absolute); the critics
see ``[z, i]`` repeated ``r = max(1, floor(|s| / (2 (|z| + 1))))`` times; the rest is TD3's 2018
schedule (:mod:`wmagents.agents.td3`). ``random_steps`` draws uniform latents (0 on the Reacher
family, 1e4 on the 7-DoF family, as the author's run grids).

An embedding saved with ``release_quirks`` (spec §7) makes the agent act as the release: in its
whitened latent space bounded by its ``max_latent`` and with decoded actions sent unmapped.

The embedding comes from ``embedding`` (a file of :meth:`ActionDynE.save`, e.g. trained on the
family's source task by ``python -m wmagents.reproduce dyne``: its data are not on the agent's
x-axis, as in Fig. 4), or, when empty, from the agent's own first ``pretrain_steps`` uniform
random env steps (kept in ``pretraining_replay``; TD3 starts after them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from gymnasium import spaces

from wmagents.agents.random_agent import random_action
from wmagents.agents.td3 import TD3, TD3Config
from wmagents.api import Transition, make_config
from wmagents.models.dyne import (ActionDynE, ActionDynEConfig, ActionEmbedding, train_action_dyne,
                                  unnormalised)
from wmagents.nn import obs_tensor, require_vector_box, torch_batch
from wmagents.replay import ReplayBuffer


@dataclass
class DynETD3Config(TD3Config):
    random_steps: int = 0                   # the author's run-grid code: 0 Reacher, 1e4 7-DoF
    critic_action_repeat: bool = True       # released code (EmbeddedTD3.py): [z, i] x r
    max_latent: float = 3.0                 # our choice: max_e = 3 for a N(0, I)-trained decoder
    embedding: str = ""                     # our choice: a saved ActionDynE ("" = pretrain here)
    pretrain_steps: int = 100_000           # Sec. 5.2: 100K random steps
    k: int = 4                              # Sec. 5.2: plan length k (Thrower 8)
    embedding_hidden: tuple[int, ...] = (400, 400)   # App. B: 2 x 400
    embedding_updates: int = 3_900          # released code: 50 epochs x 78 batches
    decoder_updates: int = 10_000           # released code (action_decoder.py): 10 x 1,000


class Plan(NamedTuple):
    """The per-episode state: the decoded actions of the current latent and the next step."""
    actions: np.ndarray      # (k, |A|) in the env's box
    z: np.ndarray            # (|z|,)
    step: int


class DynETD3(TD3):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: DynETD3Config | None = None, seed: int = 0, device: str = "auto",
                 embedding: ActionEmbedding | None = None):
        """``embedding``: the action half of a model trained elsewhere (SA-DynE's own); it
        replaces ``config.embedding`` and the pretraining."""
        require_vector_box("DynE-TD3", observation_space, action_space)
        config = config or DynETD3Config()
        self.env_action_space = action_space
        self.embedding = embedding or self._embedding(observation_space, action_space, config)
        self.k = k = self.embedding.config.k
        self.quirks = self.embedding.config.release_quirks
        size = action_space.shape[0]
        bound = (float(self.embedding.max_latent) if self.embedding.config.decodes_encoder_means
                 else config.max_latent)
        latent = spaces.Box(-bound, bound, (size,), np.float32)
        plan_step = spaces.Box(np.append(latent.low, 0).astype(np.float32),
                               np.append(latent.high, k - 1).astype(np.float32))
        super().__init__(observation_space, latent, config, seed, device,
                         critic_action_space=plan_step)
        self.target_noise = config.policy_noise * self.actor.scale / k     # 0.2 max_e / k
        self.target_noise_clip = torch.full_like(self.actor.scale, config.noise_clip)
        self.embedding.to(self.device)
        self.pretraining_replay = None if config.embedding or embedding else ReplayBuffer(
            observation_space, action_space, 2 * config.pretrain_steps + 2, seed)
        self.pending: np.ndarray | None = None      # [z, i] of the last exploring act

    @staticmethod
    def _embedding(observation_space, action_space, config: DynETD3Config) -> ActionDynE:
        if not config.embedding:
            return ActionDynE(observation_space.shape[0], action_space.shape[0], ActionDynEConfig(
                k=config.k, hidden=config.embedding_hidden, updates=config.embedding_updates,
                decoder_updates=config.decoder_updates))
        embedding = ActionDynE.load(config.embedding)
        if embedding.action_dim != action_space.shape[0] or embedding.config.k != config.k:
            raise ValueError(f"embedding {config.embedding} decodes k = {embedding.config.k} "
                             f"actions of size {embedding.action_dim}; this run needs k = "
                             f"{config.k} and size {action_space.shape[0]}")
        if not embedding.trained:
            raise ValueError(f"embedding {config.embedding} was saved before training")
        return embedding

    def decode(self, z: np.ndarray) -> np.ndarray:
        """The ``k`` env actions of latent ``z``: ``d(z)`` in [-1, 1] mapped onto the box
        (release quirks, §7.3: sent as they are, clipped to the first dimension's bound)."""
        space = self.env_action_space
        with torch.no_grad():
            unit = self.embedding.decode(obs_tensor(z, self.device))[0].cpu().numpy()
        if self.quirks:
            return np.clip(unit, -space.high[0], space.high[0]).astype(space.dtype)
        return unnormalised(unit, space)

    def act(self, obs, state: Plan | None, explore: bool):
        if not self.embedding.trained:                     # pretraining: a uniform random policy
            return random_action(self.env_action_space, self.rng), None
        if state is None or state.step == self.k:
            z, _ = super().act(obs, None, explore)
            state = Plan(self.decode(z), z, 0)
        if explore:
            self.pending = np.append(state.z, state.step).astype(np.float32)
        return state.actions[state.step], state._replace(step=state.step + 1)

    def observe(self, transition: Transition) -> dict[str, float]:
        if self.pending is None:                           # a pretraining step
            self.pretraining_replay.add(transition)
            if self.pretraining_replay.transitions < self.config.pretrain_steps:
                return {}
            self.embedding, metrics = train_action_dyne(
                self.pretraining_replay, self.env_action_space, self.embedding.config)
            self.embedding.to(self.device)
            return {f"embedding_{name}": value for name, value in metrics.items()}
        plan_step, self.pending = self.pending, None
        return super().observe(dataclasses.replace(transition, action=plan_step))

    def sample_batch(self) -> dict[str, torch.Tensor]:
        """k-step windows; ``obs`` and ``action`` (``[z_0, i_0]``) are their first step's."""
        w = torch_batch(self.replay.sample_windows(self.config.batch_size, self.k), self.device,
                        floats=("obs", "reward", "terminated"))
        return {**w, "window_obs": w["obs"], "obs": w["obs"][:, 0], "action": w["action"][:, 0]}

    def policy_critic_action(self, obs: torch.Tensor) -> torch.Tensor:
        z = self.actor(obs)
        return torch.cat([z, torch.zeros_like(z[..., :1])], -1)             # Q(s, mu(s), 0)

    def td_target(self, b: dict[str, torch.Tensor]) -> torch.Tensor:
        z0, i0 = b["action"][:, :-1], b["action"][:, -1]
        ret, discount, n, new_plan = plan_return(b["reward"], b["terminated"], b["valid"], i0,
                                                 self.k, self.config.gamma)
        rows = torch.arange(len(n), device=n.device)
        last_obs = b["window_obs"][rows, n]
        next_z = torch.where(new_plan[:, None], self.smoothed_target_action(last_obs), z0)
        next_i = torch.where(new_plan, torch.zeros_like(i0), i0 + n)
        next_q = self.q(self.critic_target, last_obs, torch.cat([next_z, next_i[:, None]], -1))
        return ret + discount * next_q.min(0).values

    def _parts(self) -> dict:
        parts = {**super()._parts(), "embedding": self.embedding}
        if self.pretraining_replay is not None:
            parts["pretraining_replay"] = self.pretraining_replay
        return parts


def plan_return(reward: torch.Tensor, terminated: torch.Tensor, valid: torch.Tensor,
                plan_step: torch.Tensor, k: int, gamma: float):
    """The k-step target's parts for windows ``(batch, k)`` whose first step is plan step
    ``plan_step``: ``ret = sum_{j<n} gamma^j r_j``, ``discount = gamma^n (1 - terminated_{n-1})``,
    ``n`` (steps used: the plan's ``m = k - i_0`` remaining, fewer at an episode end or the
    write head) and ``new_plan`` (``n = m``: bootstrap a fresh plan, else the same one)."""
    remaining = k - plan_step.long()
    n = torch.minimum(remaining, valid.long().cumprod(1).sum(1))
    steps = torch.arange(k, device=reward.device)
    powers = gamma ** steps.to(reward.dtype)
    ret = (reward * powers * (steps < n[:, None])).sum(1)
    ended = terminated.float().gather(1, (n - 1)[:, None]).squeeze(1)
    discount = gamma ** n.to(reward.dtype) * (1 - ended)
    return ret, discount, n, n == remaining


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return DynETD3(observation_space, action_space, make_config(DynETD3Config, overrides),
                   seed=seed, device=device)
