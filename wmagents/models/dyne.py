"""Action DynE: the dynamics-aware embedding of k-step action sequences (Whitney et al. 2020,
"Dynamics-aware Embeddings", ICLR; §2.2, §3.1, App. B) and its decoder.

Objective (eq. 1-3 with no state encoder, App. B): an encoder ``q(z | a_{t:t+k})`` (diagonal
Gaussian, ``|z| = |A|``) and a state-conditioned predictor ``f(s_t, z)`` of the whitened k-step
state change minimise

    ||f(s_t, z) - whiten(s_{t+k} - s_t)||^2 / |s| + gamma KL(q(z | a_{t:t+k}) || N(0, I)),

``z`` reparameterised, gamma 1e-4. With the encoder frozen, the decoder (§3.1) is the
minimum-norm one-sided inverse: ``E_{z ~ N(0, I)} ||mean e(d(z)) - z||^2 + lambda ||d(z)||^2``,
lambda 1e-4. It sees only ``z``, so one decoder serves a whole family of tasks (Fig. 4).

Project decisions (``../shared/specs/dyne.md``, "Decisions" 1 and 3), where the release
differs: the predictor sees the whitened current state (the release fed it a constant); the
decoder trains on ``z ~ N(0, I)`` with the squared norm, both as batch means — with lambda
1.28e-2, the weight the release's penalty had (1e-4 per sample, summed over its batch of 128),
not the paper's 1e-4 as a batch mean: measured on ReacherVertical, 1e-4 leaves the decoded
plans saturated (mean |a| 0.76) and DynE-TD3 below the random policy; actions are
normalised to [-1, 1] per dimension of the env's box before encoding, and the decoder's
``tanh`` output is mapped back onto each env's box (the release's tanh reached only [-1, 1]
of Pusher's +-2, Striker's +-3 and Thrower's +-10/+-15). Windows never cross an episode end.
The release's update counts stay: 3,900 embedding and 10,000 decoder updates of batch 128.
``release_quirks=True`` reproduces the release for comparison runs (spec §7 items 1-3; item 5,
the 100K k-step sequences, is the reproduction's dataset size): a predictor fed a constant,
raw (unnormalised) actions, a decoder trained on the whitened encoder means of real sequences
with the release's loss and bound, and (in DynE-TD3) its outputs sent to the env unmapped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from wmagents.nn import mlp, optimizer_step
from wmagents.replay import ReplayBuffer


@dataclass
class ActionDynEConfig:
    k: int = 4                              # Sec. 5.2: plan length (Thrower 8)
    hidden: tuple[int, ...] = (400, 400)    # App. B: two hidden layers of 400 (SELU, release)
    kl_weight: float = 1e-4                 # App. B: gamma
    decoder_norm_weight: float = 1.28e-2    # App. B lambda 1e-4 summed over the released code's
    # batch of 128 (x 128 as a batch mean): with 1e-4 the decodes saturate (docs/dyne.md)
    lr: float = 1e-4                        # App. B: Adam 1e-4 (amsgrad, release)
    batch_size: int = 128                   # released code (embedding/main.py)
    updates: int = 3_900                    # released code: 50 epochs x 78 batches
    decoder_updates: int = 10_000           # released code (action_decoder.py): 10 x 1,000
    decoder_inputs: str = "normal"          # Sec. 3.1: normal (z ~ N(0, I)) | encoder_means
    release_quirks: bool = False            # released code's bugs 1-3 and 5 (spec §7)

    @property
    def decodes_encoder_means(self) -> bool:
        """The decoder's inputs are whitened encoder means (bounded by ``max_latent``)."""
        return self.release_quirks or self.decoder_inputs == "encoder_means"


class ActionEmbedding(nn.Module):
    """The action half of every DynE model: the encoder ``q(z | a_{t:t+k})`` and the decoder
    ``d(z)``; actions in and out are in normalised units ([-1, 1] per dimension)."""

    def __init__(self, action_dim: int, config: ActionDynEConfig):
        super().__init__()
        self.config, self.action_dim = config, action_dim
        k = config.k
        self.encoder = mlp(k * action_dim, config.hidden, 2 * action_dim, nn.SELU)
        self.decoder = mlp(action_dim, config.hidden, k * action_dim, nn.SELU)
        self.register_buffer("trained", torch.tensor(False))    # set once fitted
        # the decoder's input space: N(0, I) with bound 3, or (release quirks) the encoder
        # means of real sequences whitened by these, with bound max |whitened mean|
        self.register_buffer("z_mean", torch.zeros(action_dim))
        self.register_buffer("z_std", torch.ones(action_dim))
        self.register_buffer("max_latent", torch.tensor(3.0))

    def encode(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of ``q(z | a)`` for normalised ``actions`` ``(..., k, |A|)``."""
        return self.encoder(actions.flatten(-2)).chunk(2, dim=-1)

    def sample(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised ``z`` and ``KL(q(z | a) || N(0, I))`` per sample."""
        mean, log_var = self.encode(actions)
        return mean + (0.5 * log_var).exp() * torch.randn_like(mean), gaussian_kl(mean, log_var)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``d(z)``: ``(..., k, |A|)`` normalised actions in [-1, 1]."""
        return torch.tanh(self.decoder(z)).unflatten(-1, (self.config.k, self.action_dim))

    def decoder_loss(self, z: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """§3.1: ``||mean e(d(z)) - z||^2 + lambda ||d(z)||^2`` (the caller freezes e). With
        release quirks (§7.2): the element mean of ``(whiten(mean e(d(z))) - z)^2`` plus lambda
        times the (non-squared) norms of the actions summed over batch and steps."""
        actions = self.decode(z)
        mean = self.encode(actions)[0]
        if self.config.release_quirks:
            inverse = (((mean - self.z_mean) / self.z_std - z) ** 2).mean()
            penalty = actions.norm(dim=-1).sum()
        else:
            inverse = (mean - z).pow(2).sum(-1).mean()
            penalty = actions.pow(2).sum((-2, -1)).mean()
        return inverse + self.config.decoder_norm_weight * penalty, \
            {"inverse_error": inverse.item()}

    def fit_decoder(self, updates: int, batch_size: int, lr: float,
                    real_means: torch.Tensor | None = None) -> dict[str, float]:
        """Train the decoder with the encoder frozen on ``z ~ N(0, I)`` (torch's global RNG)
        or, given ``real_means`` (release quirks), on those whitened; then the whole embedding
        is frozen, in eval mode, and marked trained."""
        self.encoder.requires_grad_(False)
        pool = None
        if real_means is not None:
            self.z_mean.copy_(real_means.mean(0))
            self.z_std.copy_(real_means.std(0))
            pool = (real_means - self.z_mean) / self.z_std
            self.max_latent.fill_(pool.abs().max())
        optimiser = torch.optim.Adam(self.decoder.parameters(), lr=lr)
        metrics: dict[str, float] = {}
        for _ in range(updates):
            z = (torch.randn(batch_size, self.action_dim, device=self.trained.device)
                 if pool is None else pool[torch.randint(len(pool), (batch_size,))])
            loss, metrics = self.decoder_loss(z)
            optimizer_step(optimiser, loss)
        self.requires_grad_(False).eval()
        self.trained.fill_(True)
        return metrics


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """``KL(N(mean, exp(log_var)) || N(0, I))`` summed over the last axis."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(-1)


class ActionDynE(ActionEmbedding):
    """Action embedding plus the state-conditioned predictor of the k-step state change, with
    the whitening statistics of their training data."""

    def __init__(self, obs_dim: int, action_dim: int, config: ActionDynEConfig):
        super().__init__(action_dim, config)
        self.obs_dim = obs_dim
        self.predictor = mlp(obs_dim + action_dim, config.hidden, obs_dim, nn.SELU)
        for name, size in (("obs_mean", obs_dim), ("obs_std", obs_dim),
                           ("delta_mean", obs_dim), ("delta_std", obs_dim)):
            self.register_buffer(name, torch.zeros(size) if "mean" in name else torch.ones(size))

    def embedding_loss(self, obs, actions, obs_k) -> tuple[torch.Tensor, dict[str, float]]:
        """Eq. 1-3 (App. B form) on a batch of windows, as a batch mean."""
        z, kl = self.sample(actions)
        state = ((obs - self.obs_mean) / self.obs_std if not self.config.release_quirks
                 else ((0 - self.delta_mean) / self.delta_std).expand_as(obs))   # §7.1
        target = (obs_k - obs - self.delta_mean) / self.delta_std
        prediction = (self.predictor(torch.cat([state, z], -1)) - target).pow(2).sum(-1)
        loss = (prediction / self.obs_dim + self.config.kl_weight * kl).mean()
        return loss, {"prediction_loss": prediction.mean().item() / self.obs_dim,
                      "kl": kl.mean().item()}

    def save(self, path: str | Path, **meta) -> None:
        torch.save({"config": dataclasses.asdict(self.config), "obs_dim": self.obs_dim,
                    "action_dim": self.action_dim, "weights": self.state_dict(), "meta": meta},
                   path)

    @classmethod
    def load(cls, path: str | Path) -> "ActionDynE":
        saved = torch.load(path, map_location="cpu", weights_only=True)
        config = saved["config"]
        config = ActionDynEConfig(**{**config, "hidden": tuple(config["hidden"])})
        model = cls(saved["obs_dim"], saved["action_dim"], config)
        missing, unexpected = model.load_state_dict(saved["weights"], strict=False)
        if unexpected or set(missing) - {"z_mean", "z_std", "max_latent"}:
            raise ValueError(f"{path} is not an ActionDynE file of this version: missing "
                             f"{missing}, unexpected {unexpected}")
        # files saved before the release_quirks buffers keep their defaults (N(0, I), bound 3)
        model.meta = saved["meta"]
        return model


def normalised(actions: np.ndarray, space: spaces.Box) -> np.ndarray:
    """Actions of ``space`` mapped affinely to [-1, 1] per dimension (decision 3)."""
    return (actions - (space.high + space.low) / 2) / ((space.high - space.low) / 2)


def unnormalised(unit: np.ndarray, space: spaces.Box) -> np.ndarray:
    """The inverse of :func:`normalised`: [-1, 1] onto the box, clipped, in its dtype."""
    actions = (space.high + space.low) / 2 + unit * (space.high - space.low) / 2
    return np.clip(actions, space.low, space.high).astype(space.dtype)


def window_batch(replay: ReplayBuffer, start: np.ndarray, k: int, space: spaces.Box | None):
    """``(s_t, a_{t:t+k}, s_{t+k})`` float tensors of the windows at ``start``; actions
    normalised to ``space`` (``None``: raw, as the release encoded them)."""
    chunk = replay.chunks(start, k)
    actions = chunk["action"] if space is None else normalised(chunk["action"], space)
    return (torch.as_tensor(chunk["obs"][:, 0], dtype=torch.float32),
            torch.as_tensor(actions, dtype=torch.float32),
            torch.as_tensor(chunk["obs"][:, k], dtype=torch.float32))


def train_action_dyne(replay: ReplayBuffer, action_space: spaces.Box,
                      config: ActionDynEConfig) -> tuple[ActionDynE, dict[str, float]]:
    """Fit the embedding on every k-window of ``replay`` (random-policy data), then the decoder
    on ``z ~ N(0, I)`` (or the whitened encoder means) with the encoder frozen. Batches come from ``replay.rng``, noise from
    torch's global RNG. Returns the model (eval mode) and final metrics, with the mean and std of
    the encoder means over the data (how well N(0, I) covers what the data embeds to)."""
    if config.decoder_inputs not in ("normal", "encoder_means"):
        raise ValueError(f"ActionDynEConfig.decoder_inputs: expected 'normal' or "
                         f"'encoder_means', got {config.decoder_inputs!r}")
    starts = replay.chunk_starts(config.k)
    if not len(starts):
        raise ValueError(f"no {config.k}-step window inside an episode in "
                         f"{replay.transitions} stored steps")
    model = ActionDynE(replay.obs.shape[1], action_space.shape[0], config)
    quirks = config.release_quirks
    obs, actions, obs_k = window_batch(replay, starts, config.k, None if quirks else action_space)
    model.obs_mean.copy_(obs.mean(0))
    model.obs_std.copy_(_nonzero(obs.std(0)))
    model.delta_mean.copy_((obs_k - obs).mean(0))
    model.delta_std.copy_(_nonzero((obs_k - obs).std(0)))
    optimiser = torch.optim.Adam([*model.encoder.parameters(), *model.predictor.parameters()],
                                 lr=config.lr, amsgrad=True)
    metrics: dict[str, float] = {}
    for _ in range(config.updates):
        i = replay.rng.integers(0, len(starts), config.batch_size)
        loss, metrics = model.embedding_loss(obs[i], actions[i], obs_k[i])
        optimizer_step(optimiser, loss)
    with torch.no_grad():
        means = model.encode(actions)[0]
    decoder_metrics = model.fit_decoder(config.decoder_updates, config.batch_size, config.lr,
                                        means if config.decodes_encoder_means else None)
    return model, {**metrics, **decoder_metrics, "windows": len(starts),
                   "z_mean": means.mean().item(), "z_std": means.std(0).mean().item()}


def _nonzero(std: torch.Tensor) -> torch.Tensor:
    return torch.where(std > 0, std, torch.ones_like(std))        # the release: std 0 -> 1

