"""Pixel state embeddings of the DynE paper (Whitney et al. 2020, §2.2, App. A.1, B;
``../shared/specs/dyne.md`` §3, §5): S-DynE (and with its action half, SA-DynE) and the
per-frame VAE of the VAE-TD3 baseline.

* **S-DynE**: a state encoder ``e_s`` of 4 stacked 64x64 frames (12 channels) to a 100-d
  Gaussian latent, the action embedding of :mod:`wmagents.models.dyne`, and two DCGAN
  predictors — one per target frame — of the two latest frames of the stack ``k`` steps later
  from ``concat(z_s, z_a repeated floor(100 / (2|A|)) times)``. Loss: the binary cross-entropy
  summed over both frames / (12 x 64 x 64) + ``w(u)`` (5e-7 KL_s + 5e-7 KL_a), ``w`` the
  cyclical schedule of Liu et al. 2019 with 2 cycles (0 -> 1 over the first half of a cycle,
  then 1; decision 1). Then the action decoder is fitted on N(0, I) as for states.
* **Frame VAE**: the same encoder on one frame (3 channels) to 25 dims, one DCGAN decoder,
  BCE / |x| + ``w(u)`` 5e-7 KL; an RL state is the means of the 4 latest frames (100-d).

Encoder (spec §3): BatchNorm on the input; convs kernel 4, stride 2, padding 1 to 32, 64, 128,
256 channels (BatchNorm after all but the first, ReLU); a 4x4 valid conv to 400, ReLU; linear
mean and log-variance. Predictors: ``-> 400 -> 400`` (ReLU), then transposed convs to 256 (4x4),
128, 64, 32 and 3 channels (BatchNorm + ReLU between, sigmoid output: BCE on logits here).
Adam 1e-4 with amsgrad for every embedding model (decision 1; the release used 3e-4), batch 128;
15,600 S-DynE and 3,900 VAE updates (the release's 200 and 50 epochs of 78 batches).
``release_quirks=True`` trains as the release did (spec §7 item 4): Adam 3e-4 for the model and
its action decoder, and the KL weight ``w = ((epoch - 1) mod 100) / 100`` (1 from epoch 400) of
its 200 (VAE 50) epochs, two ramps that never reach 1 (the VAE's one ramp stops at 0.49); the
epochs are spread over ``updates``, so a smaller budget keeps the shape.
Images are stored as uint8 frames and stacked on the fly (decision 5); a stack at the start of
an episode repeats its first frame (gymnasium's ``FrameStackObservation(padding_type="reset")``
behaviour) instead of the release's 3 random warm-up steps per reset. Frames enter the convs
channels-last (a strided view, not a copy), the faster layout on CPU (issue 19).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from wmagents.models.dyne import ActionDynEConfig, ActionEmbedding, gaussian_kl, normalised
from wmagents.nn import mlp, optimizer_step
from wmagents.replay import ReplayBuffer

FRAMES = 4


@dataclass
class PixelEmbeddingConfig:
    model: str = "s_dyne"                   # Sec. 5.3: s_dyne (S-/SA-DynE) | vae (VAE-TD3)
    k: int = 4                              # Sec. 5.2: plan length
    state_latent: int = 100                 # App. B: |z_s| = 100 (VAE: 25 per frame)
    vae_latent: int = 25                    # released code (main_vae.py): 25 per frame
    kl_weight: float = 5e-7                 # App. B: beta = gamma = 5e-7
    lr: float = 1e-4                        # App. B: Adam 1e-4 (decision 1)
    batch_size: int = 128                   # released code (main_pixels.py)
    updates: int = 15_600                   # released code: 200 epochs x 78 (VAE: 3,900)
    decoder_updates: int = 10_000           # released code (action_decoder.py)
    width: int = 32                         # released code: first conv's channels (x2 each)
    hidden: int = 400                       # App. B: 400-unit layers
    release_quirks: bool = False            # released code: lr 3e-4, KL sawtooth (spec §7.4)


RELEASE_LR = 3e-4                           # released code: main_pixels.py, main_vae.py
RELEASE_EPOCHS = {"s_dyne": 200, "vae": 50}  # released code: epochs of the pixel models


class FrameEncoder(nn.Module):
    """Frames ``(B, H, W, C)`` uint8 (``C`` = 3 x frames) -> mean and log-variance."""

    def __init__(self, channels: int, latent: int, width: int = 32, hidden: int = 400):
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm2d(channels)]
        for i in range(4):
            out = width * 2 ** i
            layers += [nn.Conv2d(channels, out, 4, 2, 1)] + ([nn.BatchNorm2d(out)] if i else [])
            layers.append(nn.ReLU())
            channels = out
        layers += [nn.Conv2d(channels, hidden, 4), nn.ReLU(), nn.Flatten(),
                   nn.Linear(hidden, 2 * latent)]
        self.net = nn.Sequential(*layers)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = frames.movedim(-1, 1).float() / 255.0          # channels-last view
        return self.net(x).chunk(2, dim=-1)


class FramePredictor(nn.Module):
    """Vector -> 400 -> 400 -> DCGAN transposed convs -> logits of one ``(3, 64, 64)`` frame."""

    def __init__(self, in_dim: int, width: int = 32, hidden: int = 400):
        super().__init__()
        self.fc = nn.Sequential(mlp(in_dim, (hidden,), hidden), nn.ReLU())
        layers: list[nn.Module] = [nn.ConvTranspose2d(hidden, width * 8, 4),
                                   nn.BatchNorm2d(width * 8), nn.ReLU()]
        for i in (8, 4, 2):
            layers += [nn.ConvTranspose2d(width * i, width * i // 2, 4, 2, 1),
                       nn.BatchNorm2d(width * i // 2), nn.ReLU()]
        layers.append(nn.ConvTranspose2d(width, 3, 4, 2, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(x)[..., None, None])


def stacked(replay: ReplayBuffer, slots: np.ndarray) -> np.ndarray:
    """The ``FRAMES`` latest frames at each slot, ``(B, H, W, 3 x FRAMES)`` oldest first,
    repeating the oldest frame of the episode still stored where the episode is younger (or
    its start was overwritten by the ring)."""
    earlier = replay.linked(slots[:, None], -np.arange(1, FRAMES))      # (B, FRAMES - 1)
    stored = earlier.cumprod(1).sum(1)        # consecutive earlier frames of the same episode
    back = np.minimum(np.arange(FRAMES - 1, -1, -1)[None], stored[:, None])
    frames = replay.obs[(slots[:, None] - back) % replay.capacity]       # (B, F, H, W, 3)
    return np.concatenate(list(frames.swapaxes(0, 1)), axis=-1)


def cyclical_weight(update: int, total: int, cycles: int = 2) -> float:
    """Liu et al. 2019: within each of ``cycles`` equal cycles, 0 -> 1 over its first half."""
    position = (update % (total / cycles)) / (total / cycles)
    return min(1.0, 2 * position)


def release_weight(update: int, total: int, epochs: int) -> float:
    """The release's KL weight ``((epoch - 1) mod 100) / 100`` below epoch 400, else 1, with
    its ``epochs`` spread evenly over ``total`` updates (epoch 1 first)."""
    epoch = 1 + update * epochs // total
    return ((epoch - 1) % 100) / 100 if epoch < 400 else 1.0


def schedule(config: PixelEmbeddingConfig) -> tuple[float, Callable[[int], float]]:
    """``(learning rate, KL weight of update u)`` of the embedding's training."""
    if config.release_quirks:
        epochs = RELEASE_EPOCHS[config.model]
        return RELEASE_LR, lambda u: release_weight(u, config.updates, epochs)
    return config.lr, lambda u: cyclical_weight(u, config.updates)


class SDynE(nn.Module):
    """S-DynE with its action half (``action``: an :class:`ActionEmbedding`)."""

    def __init__(self, action_dim: int, config: PixelEmbeddingConfig):
        super().__init__()
        self.config = config
        self.state = FrameEncoder(3 * FRAMES, config.state_latent, config.width, config.hidden)
        self.action = ActionEmbedding(action_dim, ActionDynEConfig(
            k=config.k, kl_weight=config.kl_weight, hidden=(config.hidden,) * 2))
        self.repeat = max(1, config.state_latent // (2 * action_dim))
        in_dim = config.state_latent + self.repeat * action_dim
        self.predictors = nn.ModuleList(FramePredictor(in_dim, config.width, config.hidden)
                                        for _ in range(2))
        self.register_buffer("trained", torch.tensor(False))

    def loss(self, stack, actions, target_stack, weight: float):
        mean, log_var = self.state(stack)
        z_s = mean + (0.5 * log_var).exp() * torch.randn_like(mean)
        z_a, kl_a = self.action.sample(actions)
        x = torch.cat([z_s] + [z_a] * self.repeat, -1)
        targets = target_stack[..., -6:].movedim(-1, 1).float() / 255.0    # 2 latest frames
        logits = torch.cat([p(x) for p in self.predictors], 1)
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        bce = bce.sum((1, 2, 3)) / stack[0].numel()                    # / (12 x 64 x 64)
        kl = gaussian_kl(mean, log_var) + kl_a
        return (bce + weight * self.config.kl_weight * kl).mean(), bce.mean()

    def embed(self, stack: torch.Tensor) -> torch.Tensor:
        return self.state(stack)[0]


class FrameVAE(nn.Module):
    """The per-frame VAE of VAE-TD3; ``embed`` concatenates the means of a stack's frames."""

    def __init__(self, config: PixelEmbeddingConfig):
        super().__init__()
        self.config = config
        self.encoder = FrameEncoder(3, config.vae_latent, config.width, config.hidden)
        self.decoder = FramePredictor(config.vae_latent, config.width, config.hidden)
        self.register_buffer("trained", torch.tensor(False))

    def loss(self, frames, weight: float):
        mean, log_var = self.encoder(frames)
        logits = self.decoder(mean + (0.5 * log_var).exp() * torch.randn_like(mean))
        target = frames.movedim(-1, 1).float() / 255.0
        bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        bce = bce.sum((1, 2, 3)) / frames[0].numel()
        kl = gaussian_kl(mean, log_var)
        return (bce + weight * self.config.kl_weight * kl).mean(), bce.mean()

    def embed(self, stack: torch.Tensor) -> torch.Tensor:
        frames = stack.unflatten(-1, (FRAMES, 3)).movedim(-2, 1)         # (B, F, H, W, 3)
        means = self.encoder(frames.flatten(0, 1))[0]
        return means.unflatten(0, (len(stack), FRAMES)).flatten(1)


def state_dim(config: PixelEmbeddingConfig) -> int:
    return config.state_latent if config.model == "s_dyne" else FRAMES * config.vae_latent


def make_pixel_embedding(action_dim: int, config: PixelEmbeddingConfig) -> nn.Module:
    if config.model == "s_dyne":
        return SDynE(action_dim, config)
    if config.model == "vae":
        return FrameVAE(config)
    raise ValueError(f"PixelEmbeddingConfig.model: expected 's_dyne' or 'vae', "
                     f"got {config.model!r}")


def training_starts(model: nn.Module, replay: ReplayBuffer) -> np.ndarray:
    """The replay slots a batch may start at: S-DynE's k-step windows inside an episode, or
    every frame for the VAE."""
    k = model.config.k if isinstance(model, SDynE) else 0
    starts = replay.chunk_starts(k) if k else np.arange(replay.size)
    if not len(starts):
        raise ValueError(f"no {k}-step window inside an episode in {replay.transitions} steps")
    return starts


def embedding_optimiser(model: nn.Module) -> torch.optim.Optimizer:
    """Adam with amsgrad at the schedule's learning rate (App. B; decision 1)."""
    return torch.optim.Adam(model.parameters(), lr=schedule(model.config)[0], amsgrad=True)


def embedding_update(model: nn.Module, replay: ReplayBuffer, starts: np.ndarray,
                     action_space: spaces.Box, optimiser: torch.optim.Optimizer, weight: float,
                     device: torch.device) -> torch.Tensor:
    """One step on a batch from ``replay.rng`` with KL weight ``weight``: S-DynE predicts the
    stack k steps later from the stack and the k actions, the VAE reconstructs single frames.
    Returns the batch's reconstruction BCE."""
    slots = starts[replay.rng.integers(0, len(starts), model.config.batch_size)]
    if isinstance(model, SDynE):
        k = model.config.k
        chunk = replay.chunks(slots, k)
        actions = torch.as_tensor(normalised(chunk["action"], action_space),
                                  dtype=torch.float32, device=device)
        stack, later = (torch.as_tensor(stacked(replay, s % replay.capacity), device=device)
                        for s in (slots, slots + k))
        loss, bce = model.loss(stack, actions, later, weight)
    else:
        loss, bce = model.loss(torch.as_tensor(replay.obs[slots], device=device), weight)
    optimizer_step(optimiser, loss)
    return bce


def train_pixel_embedding(model: nn.Module, replay: ReplayBuffer, action_space: spaces.Box,
                          device: torch.device) -> dict[str, float]:
    """Fit ``model`` (an :class:`SDynE` or :class:`FrameVAE`) on the frames of ``replay``;
    S-DynE then fits its action decoder. Batches from ``replay.rng``; frozen and in eval mode
    after. Returns the final metrics."""
    config = model.config
    starts = training_starts(model, replay)
    model.to(device).train()
    lr, kl_weight = schedule(config)
    optimiser = embedding_optimiser(model)
    for update in range(config.updates):
        bce = embedding_update(model, replay, starts, action_space, optimiser,
                               kl_weight(update), device)
    metrics = {"reconstruction_bce": bce.item()} if config.updates else {}
    if isinstance(model, SDynE):
        metrics.update(model.action.fit_decoder(config.decoder_updates, config.batch_size, lr))
    model.requires_grad_(False).eval()
    model.trained.fill_(True)
    return metrics
