"""Pixel DynE models and the TD3 agents on them (S-DynE-TD3, SA-DynE-TD3, VAE-TD3): frame
stacks padded inside the episode, the cyclical KL weight, S-DynE's targets (the two latest
frames k steps later), the VAE's per-frame means, and the agents' stacks and decoders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from wmagents.agents.embedded_td3 import EmbeddedTD3, EmbeddedTD3Config
from wmagents.api import Transition
from wmagents.models.dyne_pixels import (FrameVAE, PixelEmbeddingConfig, SDynE, cyclical_weight,
                                         release_weight, schedule, stacked, train_pixel_embedding)
from wmagents.replay import ReplayBuffer

FRAME = spaces.Box(0, 255, (64, 64, 3), np.uint8)
ACTION = spaces.Box(np.array([-2.0, -1.0], np.float32), np.array([2.0, 1.0], np.float32))
TINY = PixelEmbeddingConfig(k=2, width=4, hidden=16, state_latent=8, vae_latent=2)


def frame(value: int) -> np.ndarray:
    return np.full((64, 64, 3), value, np.uint8)


def test_stacks_repeat_the_first_frame_and_stay_inside_the_episode():
    replay = ReplayBuffer(FRAME, ACTION, 50, seed=0)
    t = 0
    for length in (2, 5):                              # frames 0..2, then 3..8
        for s in range(length):
            replay.add(Transition(frame(t), np.zeros(2, np.float32), 0.0, frame(t + 1),
                                  False, s == length - 1))
            t += 1
        t += 1
    stacks = stacked(replay, np.arange(9))[:, 0, 0, ::3]      # one value per frame
    np.testing.assert_array_equal(stacks[:3], [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 2]])
    np.testing.assert_array_equal(stacks[3:], [[3, 3, 3, 3], [3, 3, 3, 4], [3, 3, 4, 5],
                                               [3, 4, 5, 6], [4, 5, 6, 7], [5, 6, 7, 8]])


def test_cyclical_weight_rises_over_half_of_each_of_two_cycles():
    assert [cyclical_weight(u, 100) for u in (0, 12, 25, 40, 50, 62, 75, 99)] == \
        [0.0, 0.48, 1.0, 1.0, 0.0, 0.48, 1.0, 1.0]


def test_release_quirks_train_with_the_release_lr_and_kl_sawtooth():
    # 200 epochs of 78 batches (15,600 updates): epoch e has weight ((e - 1) mod 100) / 100
    assert [release_weight(u, 15_600, 200) for u in (0, 77, 78, 7_799, 7_800, 15_599)] == \
        [0.0, 0.0, 0.01, 0.99, 0.0, 0.99]
    assert max(release_weight(u, 15_600, 200) for u in range(15_600)) == 0.99   # never 1
    assert [release_weight(u, 78_000, 1_000) for u in (31_121, 31_122)] == [0.98, 1.0]  # epoch 400
    # the VAE's 50 epochs: one ramp that stops at 0.49; a smaller budget keeps the shape
    assert release_weight(3_899, 3_900, 50) == release_weight(99, 100, 50) == 0.49
    quirky = PixelEmbeddingConfig(**{**vars(TINY), "release_quirks": True, "updates": 100})
    (lr, weight), (fixed_lr, fixed) = schedule(quirky), schedule(quirky.__class__(updates=100))
    assert (lr, fixed_lr) == (3e-4, 1e-4)
    assert [weight(u) for u in (0, 49, 50, 99)] == [0.0, 0.98, 0.0, 0.98]    # 2 epochs an update
    assert [fixed(u) for u in (0, 25, 50)] == [0.0, 1.0, 0.0]


def test_release_quirks_change_how_the_embedding_trains():
    replay = ReplayBuffer(FRAME, ACTION, 40, seed=0)
    rng = np.random.default_rng(0)
    for step in range(30):
        replay.add(Transition(frame(int(rng.integers(255))), rng.uniform(-1, 1, 2).astype(
            np.float32), 0.0, frame(int(rng.integers(255))), False, step % 10 == 9))
    losses = []
    for quirks in (False, True):
        torch.manual_seed(0)
        replay.rng = np.random.default_rng(0)
        config = PixelEmbeddingConfig(**{**vars(TINY), "release_quirks": quirks, "updates": 3,
                                         "decoder_updates": 2, "batch_size": 4})
        losses.append(train_pixel_embedding(SDynE(2, config), replay, ACTION,
                                            torch.device("cpu"))["reconstruction_bce"])
    assert losses[0] != losses[1]


class CertainlyWhite(torch.nn.Module):
    def forward(self, x):
        return torch.full((len(x), 3, 64, 64), 20.0)             # sigmoid = 1 - 2e-9


def test_s_dyne_predicts_the_two_latest_frames_k_steps_later():
    torch.manual_seed(0)
    model = SDynE(2, TINY)
    model.predictors = torch.nn.ModuleList([CertainlyWhite(), CertainlyWhite()])
    stack = torch.zeros(3, 64, 64, 12, dtype=torch.uint8)
    later = torch.zeros(3, 64, 64, 12, dtype=torch.uint8)
    later[..., 6:] = 255                                  # frames t+k-1 and t+k are white
    actions = torch.zeros(3, 2, 2)
    _, bce = model.loss(stack, actions, later, weight=0.0)
    assert float(bce) < 1e-6
    _, bce = model.loss(stack, actions, torch.flip(later, (-1,)), weight=0.0)
    assert float(bce) == pytest.approx(20.0 * 6 / 12, rel=1e-6)  # / (12 x 64 x 64)


def test_vae_state_is_the_per_frame_means_in_order():
    torch.manual_seed(0)
    vae = FrameVAE(PixelEmbeddingConfig(**{**vars(TINY), "model": "vae"})).eval()
    frames = [torch.randint(0, 255, (1, 64, 64, 3), dtype=torch.uint8) for _ in range(4)]
    with torch.no_grad():
        state = vae.embed(torch.cat(frames, -1))
        expected = torch.cat([vae.encoder(f)[0] for f in frames], -1)
    torch.testing.assert_close(state, expected)
    assert state.shape == (1, 4 * 2)


@pytest.mark.parametrize("method", ["sa_dyne", "s_dyne", "vae"])
def test_agents_pretrain_then_act_on_embedded_stacks(method):
    torch.manual_seed(0)
    agent = EmbeddedTD3(FRAME, ACTION, EmbeddedTD3Config(
        method=method, hidden=(16, 16), batch_size=4, k=2, pretrain_steps=12, state_updates=2,
        decoder_updates=2, embedding_width=4, embedding_hidden=16, state_latent=8,
        vae_latent=2), seed=0, device="cpu")
    rng = np.random.default_rng(0)
    obs, state, seen = frame(0), agent.reset(True), []
    for step in range(28):
        action, state = agent.act(obs, state, explore=True)
        seen = [] if state is None else seen + [obs]
        assert ACTION.contains(action)
        nxt = frame(int(rng.integers(255)))
        metrics = agent.observe(Transition(obs, action, 0.0, nxt, False, step % 10 == 9))
        if step == 11:
            assert "embedding_reconstruction_bce" in metrics and bool(agent.model.trained)
        obs, state, seen = (frame(0), None, []) if step % 10 == 9 else (nxt, state, seen)
    assert agent.pretraining_replay.transitions == 12 and agent.replay.transitions == 16
    frames, _ = state                                       # 8 steps into the third episode
    assert all(f is o for f, o in zip(frames, seen[-4:])) and len(frames) == 4
    assert agent.replay.obs.shape[1] == 8                   # z_s (8) or 4 frames x 2
    if method == "sa_dyne":
        assert agent.policy.embedding is agent.model.action     # its own decoder (spec §3)


def test_pixel_td3_trains_its_encoder_through_the_critic_only():
    from wmagents.agents.pixel_td3 import PixelTD3, PixelTD3Config

    torch.manual_seed(0)
    agent = PixelTD3(FRAME, ACTION, PixelTD3Config(hidden=(16, 16), batch_size=8, channels=4,
                                                   random_steps=0), seed=0, device="cpu")
    assert agent.encoder.out_dim == 4 * 4 * 4 and agent.action_repeat == 64 // 2
    rng = np.random.default_rng(0)
    for step in range(20):
        agent.replay.add(Transition(frame(int(rng.integers(255))), ACTION.sample(), 1.0,
                                    frame(int(rng.integers(255))), False, step % 10 == 9))
    before = [p.clone() for p in agent.encoder.parameters()]
    target_before = [p.clone() for p in agent.encoder_target.parameters()]
    batch = agent.sample_batch()
    assert batch["obs"].shape == (8, 64, 64, 12) and batch["obs"].dtype == torch.uint8
    agent.update(batch, update_actor=False)
    assert any(not torch.equal(a, b) for a, b in zip(before, agent.encoder.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(target_before, agent.encoder_target.parameters()))
    after_critic = [p.clone() for p in agent.encoder.parameters()]
    actor_before = [p.clone() for p in agent.actor.parameters()]
    original = agent.critic_optimizer.step
    agent.critic_optimizer.step = lambda: None         # isolate the actor's effect
    agent.update(batch, update_actor=True)
    agent.critic_optimizer.step = original
    assert all(torch.equal(a, b) for a, b in zip(after_critic, agent.encoder.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(actor_before, agent.actor.parameters()))
    assert any(not torch.equal(a, b)                    # Polyak with the actor step
               for a, b in zip(target_before, agent.encoder_target.parameters()))


def test_stacks_never_mix_episodes_after_the_ring_wraps():
    replay = ReplayBuffer(FRAME, ACTION, 7, seed=0)
    t = 0
    for length in (4, 10):                        # 5 + 11 slots in a ring of 7: the oldest
        # live slot holds step 4, its ring predecessors steps 8-10
        for s in range(length):
            replay.add(Transition(frame(t), np.zeros(2, np.float32), 0.0, frame(t + 1),
                                  False, s == length - 1))
            t += 1
        t += 1
    values = stacked(replay, np.arange(7))[:, 0, 0, ::3]
    for slot, stack in enumerate(values):
        own = replay.obs[slot, 0, 0, 0]
        assert stack[-1] == own and all(v <= own for v in stack)      # nothing from later
        assert np.all(np.diff(stack) >= 0) and stack[0] >= own - 3     # one episode, in order
