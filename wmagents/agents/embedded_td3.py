"""TD3 on a learnt pixel state embedding: S-DynE-TD3, SA-DynE-TD3 and VAE-TD3 (Whitney et al.
2020, "Dynamics-aware Embeddings", §5.3, Fig. 5; ``../shared/specs/dyne.md`` §3, §5).

The agent's first ``pretrain_steps`` env steps are uniform random; their frames (uint8) train
the embedding (:mod:`wmagents.models.dyne_pixels`), which is then frozen. From there every
frame stack (the 4 latest frames; an episode's first frame repeated at its start) is embedded to
a vector and the RL agent runs on those vectors:

* ``method="sa_dyne"`` (SA-DynE-TD3): DynE-TD3 (:mod:`wmagents.agents.dyne_td3`) on the S-DynE
  state latent (100-d), acting through the same model's own action decoder (spec §3);
* ``"s_dyne"`` (S-DynE-TD3): TD3 on the S-DynE state latent, raw actions;
* ``"vae"`` (VAE-TD3): TD3 on the concatenated means of a per-frame VAE (4 x 25 dims).

The pretraining steps are on the x-axis (§5.3, decision 6). TD3 settings as the state agents
(2018 schedule, 400-300, critic action-repeat trick). Deviation: the release filled the stack
with 3 random, uncounted warm-up steps per reset; here the first frame is repeated.
``release_quirks=True`` trains the embedding as the release did (lr 3e-4, its KL sawtooth).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces

from wmagents.agents.dyne_td3 import DynETD3, DynETD3Config
from wmagents.agents.random_agent import random_action
from wmagents.agents.td3 import TD3, TD3Config
from wmagents.api import Transition, make_config
from wmagents.models.dyne_pixels import (FRAMES, PixelEmbeddingConfig, make_pixel_embedding,
                                         state_dim, train_pixel_embedding)
from wmagents.nn import Checkpointed, resolve_device
from wmagents.replay import ReplayBuffer

METHODS = ("sa_dyne", "s_dyne", "vae")


@dataclass
class EmbeddedTD3Config(TD3Config):
    method: str = "sa_dyne"                 # Sec. 5.3: sa_dyne | s_dyne | vae (Fig. 5 rows)
    random_steps: int = 0                   # our choice: pretraining already explored (VAE 1e4)
    critic_action_repeat: bool = True       # released code (rl/TD3.py): action repeat trick
    pretrain_steps: int = 100_000           # Sec. 5.3: 100K random steps, on the x-axis
    k: int = 4                              # Sec. 5.2: plan length (SA-DynE)
    max_latent: float = 3.0                 # our choice: as DynE-TD3 (decision 2)
    state_updates: int = 15_600             # released code: 200 epochs x 78 (VAE: 50 epochs)
    decoder_updates: int = 10_000           # released code (action_decoder.py)
    embedding_width: int = 32               # released code: 32-64-128-256 conv channels
    embedding_hidden: int = 400             # App. B: 400-unit layers
    state_latent: int = 100                 # App. B: |z_s| = 100
    vae_latent: int = 25                    # released code (main_vae.py): 25 per frame
    release_quirks: bool = False            # released code: embedding lr 3e-4, KL sawtooth


class EmbeddedTD3(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: EmbeddedTD3Config | None = None, seed: int = 0, device: str = "auto"):
        self.config = config = config or EmbeddedTD3Config()
        if config.method not in METHODS:
            raise ValueError(f"EmbeddedTD3Config.method: expected one of {METHODS}, got "
                             f"{config.method!r}")
        if not (isinstance(observation_space, spaces.Box) and observation_space.shape[-1] == 3
                and len(observation_space.shape) == 3 and observation_space.dtype == np.uint8):
            raise ValueError(f"{config.method} TD3 takes (H, W, 3) uint8 frames, got "
                             f"{observation_space}")
        self.device = resolve_device(device)
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        pixel = PixelEmbeddingConfig(
            model="vae" if config.method == "vae" else "s_dyne", k=config.k,
            updates=config.state_updates, decoder_updates=config.decoder_updates,
            width=config.embedding_width, hidden=config.embedding_hidden,
            state_latent=config.state_latent, vae_latent=config.vae_latent,
            release_quirks=config.release_quirks)
        self.model = make_pixel_embedding(action_space.shape[0], pixel).to(self.device).eval()
        latent = spaces.Box(-np.inf, np.inf, (state_dim(pixel),), np.float32)
        td3 = {f.name: getattr(config, f.name) for f in dataclasses.fields(TD3Config)}
        self.policy = (DynETD3(latent, action_space, DynETD3Config(
            **td3, k=config.k, max_latent=config.max_latent), seed, device,
            embedding=self.model.action) if config.method == "sa_dyne"
            else TD3(latent, action_space, TD3Config(**td3), seed, device))
        self.pretraining_replay = ReplayBuffer(observation_space, action_space,
                                               2 * config.pretrain_steps + 2, seed)
        self.pending: tuple | None = None         # (latent, frames) of the last exploring act
        self.cached: tuple = ((), None)            # (frames, latent) embedded by observe

    @property
    def replay(self) -> ReplayBuffer:
        return self.policy.replay

    def embed(self, frames: tuple) -> np.ndarray:
        """The latent of a stack; the one ``observe`` just computed for equal frames (the next
        ``act`` sees them again) is reused."""
        cached_frames, latent = self.cached
        if len(cached_frames) == len(frames) and all(map(np.array_equal, frames, cached_frames)):
            return latent
        stack = torch.as_tensor(np.concatenate(frames, -1)[None], device=self.device)
        with torch.no_grad():
            return self.model.embed(stack)[0].cpu().numpy()

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if not self.model.trained:                     # pretraining: a uniform random policy
            return random_action(self.action_space, self.rng), None
        frames, inner = ((obs,) * FRAMES, None) if state is None else (state[0][1:] + (obs,),
                                                                        state[1])
        latent = self.embed(frames)
        action, inner = self.policy.act(latent, inner, explore)
        if explore:
            self.pending = latent, frames
        return action, (frames, inner)

    def observe(self, transition: Transition) -> dict[str, float]:
        if self.pending is None:                       # a pretraining step
            self.pretraining_replay.add(transition)
            if self.pretraining_replay.transitions < self.config.pretrain_steps:
                return {}
            metrics = train_pixel_embedding(self.model, self.pretraining_replay,
                                            self.action_space, self.device)
            return {f"embedding_{name}": value for name, value in metrics.items()}
        (latent, frames), self.pending = self.pending, None
        next_frames = frames[1:] + (transition.next_obs,)
        next_latent = self.embed(next_frames)
        self.cached = next_frames, next_latent
        return self.policy.observe(dataclasses.replace(transition, obs=latent,
                                                       next_obs=next_latent))

    def _parts(self) -> dict:
        return {"policy": self.policy, "model": self.model,
                "pretraining_replay": self.pretraining_replay, "rng": self.rng}


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return EmbeddedTD3(observation_space, action_space, make_config(EmbeddedTD3Config, overrides),
                       seed=seed, device=device)
