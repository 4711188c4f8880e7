"""Action DynE and DynE-TD3 (Whitney et al. 2020): the k-step target by hand (an episode end
inside the plan included), windows that never cross an episode end, the critic's plan-step
input, decoders inside every arm ID's box, transfer of a family decoder, and learning."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch

import wmenvs  # noqa: F401  (registers the IDs)
from point_goal_learning import train_point_goal
from toy_envs import make_point_goal
from wmagents.agents.dyne_td3 import DynETD3, DynETD3Config, plan_return
from wmagents.api import Transition
from wmagents.models.dyne import ActionDynE, ActionDynEConfig, train_action_dyne
from wmagents.replay import ReplayBuffer
from wmagents.reproduce.dyne import collect_random_steps

TINY = {"hidden": (16, 16), "batch_size": 8, "embedding_hidden": (16, 16),
        "embedding_updates": 5, "decoder_updates": 5}


def fill(replay: ReplayBuffer, lengths, terminate_last=False, plan=0, k=4):
    """Episodes of the given lengths: obs = global step, reward = 1 + step in episode; with
    ``plan = |z|`` the stored action is ``[z, i]``, z all 10 + step // k, i = step mod k."""
    t = 0
    for e, length in enumerate(lengths):
        for s in range(length):
            end = s == length - 1
            action = (np.array([10 + s // k] * plan + [s % k], np.float32) if plan
                      else np.zeros(1, np.float32))
            replay.add(Transition(np.array([t], np.float32), action, 1.0 + s,
                                  np.array([t + 1], np.float32), end and terminate_last,
                                  end and not terminate_last))
            t += 1
        t += 1


def test_plan_return_by_hand():
    gamma, k = 0.5, 4
    reward = torch.tensor([[1.0, 2, 3, 4]] * 4)
    valid = torch.tensor([[True] * 4, [True] * 4, [True, True, False, False],
                          [True, True, False, False]])
    terminated = torch.zeros(4, 4)
    terminated[3, 1] = 1                                    # row 3: terminated at its 2nd step
    plan_step = torch.tensor([0.0, 2, 0, 0])
    ret, discount, n, new_plan = plan_return(reward, terminated, valid, plan_step, k, gamma)
    assert ret.tolist() == [1 + 1 + 0.75 + 0.5, 1 + 1, 1 + 1, 1 + 1]
    assert n.tolist() == [4, 2, 2, 2]
    assert new_plan.tolist() == [True, True, False, False]     # rows 2-3: cut by the episode end
    assert discount.tolist() == [0.5 ** 4, 0.25, 0.25, 0.0]    # row 3: no bootstrap


def test_windows_never_cross_an_episode_end():
    space = gym.spaces.Box(-1, 1, (1,), np.float32)
    replay = ReplayBuffer(space, space, 100, seed=0)
    fill(replay, [3, 6])
    w = replay.sample_windows(200, 4)
    first = w["obs"][:, 0, 0].astype(int)
    in_episode = np.where(first < 4, first, first - 4)       # obs = global step, gap at 3 / 4
    left = np.where(first < 4, 3, 6) - in_episode             # steps left in the episode
    np.testing.assert_array_equal(w["valid"], np.arange(4) < left[:, None])
    assert set(first) == {0, 1, 2, 4, 5, 6, 7, 8, 9}          # every stored step is a start
    starts = replay.chunk_starts(4)                           # embedding windows: inside only
    np.testing.assert_array_equal(np.sort(replay.obs[starts, 0]), [4, 5, 6])


def dyne_agent(env_id="wmenvs/ReacherVertical-v0", **overrides):
    env = gym.make(env_id)
    config = DynETD3Config(**{**TINY, "pretrain_steps": 10, **overrides})
    return DynETD3(env.observation_space, env.action_space, config, seed=0, device="cpu")


def test_k_step_target_bootstraps_the_same_plan_when_the_episode_cuts_it(monkeypatch):
    agent = dyne_agent(k=4, gamma=0.5)
    fill(agent.replay, [6], plan=2)       # plan steps 0 1 2 3 0 1, truncated after step 5
    seen = []
    monkeypatch.setattr(agent, "q", lambda critic, obs, action: seen.append((obs, action))
                        or torch.full((2, len(obs)), 10.0))
    monkeypatch.setattr(agent, "smoothed_target_action", lambda obs: torch.full((len(obs), 2), 7.))
    agent.replay.rng = np.random.default_rng(0)
    batch = agent.sample_batch()
    y = agent.td_target(batch)
    obs, action = seen[0]
    kinds = set()
    for row in range(len(y)):
        t, i0 = int(batch["obs"][row, 0]), int(batch["action"][row, -1])
        n = min(4 - i0, 6 - t)
        kinds.add(n == 4 - i0)
        ret = sum(0.5 ** j * (1 + t + j) for j in range(n))
        assert float(y[row]) == pytest.approx(ret + 0.5 ** n * 10.0)
        assert float(obs[row, 0]) == t + n                     # bootstrap from s_{t+n}
        if n == 4 - i0:                                        # plan done: a fresh one at i = 0
            assert action[row].tolist() == [7.0, 7.0, 0.0]
        else:                                                  # cut: same z, i0 + n
            z0 = 10.0 + t // 4
            assert action[row].tolist() == [z0, z0, i0 + n]
    assert kinds == {True, False}                              # both cases were sampled


def test_critic_sees_plan_step_repeated_and_the_actor_is_scored_at_step_zero():
    agent = dyne_agent("wmenvs/ReacherPush-v0")             # |s| 14, [z, i] 3 -> r = 2
    assert agent.action_repeat == 2
    obs = torch.randn(5, 14)
    plan = agent.policy_critic_action(obs)
    assert plan.shape == (5, 3) and (plan[:, -1] == 0).all()
    x = agent.critic_input(obs, plan)
    assert torch.equal(x, torch.cat([obs, plan, plan], -1))
    assert agent.critic.members[0][0].in_features == 14 + 2 * 3


ARMS = ["ReacherVertical", "ReacherTurn", "ReacherPush", "Pusher", "Striker", "Thrower"]


@pytest.mark.parametrize("name", ARMS)
def test_decoded_actions_fill_each_arm_box(name):
    agent = dyne_agent(f"wmenvs/{name}-v0")
    space = agent.env_action_space
    rng = np.random.default_rng(0)
    for z in rng.uniform(-3, 3, (20, space.shape[0])):
        assert all(space.contains(a) for a in agent.decode(z.astype(np.float32)))
    last = agent.embedding.decoder[-1]
    with torch.no_grad():                                   # tanh saturated at +1, then -1
        last.weight.zero_()
        last.bias.fill_(20.0)
        np.testing.assert_allclose(agent.decode(np.zeros(space.shape, np.float32)),
                                   np.broadcast_to(space.high, (agent.k, space.shape[0])))
        last.bias.fill_(-20.0)
        np.testing.assert_allclose(agent.decode(np.zeros(space.shape, np.float32)),
                                   np.broadcast_to(space.low, (agent.k, space.shape[0])))


def test_embedding_predicts_from_the_state_and_the_decoder_inverts_the_encoder():
    torch.manual_seed(0)
    replay, space = collect_random_steps("wmenvs/ReacherVertical-v0", 2_000, seed=0)
    config = ActionDynEConfig(hidden=(64, 64), updates=1_500, decoder_updates=1_500, lr=1e-3)
    model, metrics = train_action_dyne(replay, space, config)
    # whitened targets: predicting their mean scores 1.0 per dimension
    assert metrics["prediction_loss"] < 0.5, metrics
    z = torch.randn(256, 2)
    with torch.no_grad():
        error = (model.encode(model.decode(z))[0] - z).pow(2).sum(-1).mean()
    assert error < 0.3 * z.pow(2).sum(-1).mean(), float(error)     # an inverse on N(0, I)
    assert model.predictor[0].in_features == 11 + 2                # f(s, z) (decision 1)


@pytest.mark.parametrize("source, targets, k", [
    ("ReacherVertical", ["ReacherTurn", "ReacherPush"], 4),
    ("Pusher", ["Striker", "Thrower"], 4), ("Pusher", ["Thrower"], 8)])
def test_a_family_decoder_loads_and_acts_on_every_member(source, targets, k, tmp_path):
    torch.manual_seed(0)
    replay, space = collect_random_steps(f"wmenvs/{source}-v0", 300, seed=0)
    model, _ = train_action_dyne(replay, space, ActionDynEConfig(k=k, hidden=(16, 16),
                                                                 updates=5, decoder_updates=5))
    path = tmp_path / f"{source}.pt"
    model.save(path, source=source)
    for target in targets:
        agent = dyne_agent(f"wmenvs/{target}-v0", embedding=str(path), k=k)
        assert agent.pretraining_replay is None
        env = gym.make(f"wmenvs/{target}-v0")
        obs, _ = env.reset(seed=0)
        state = agent.reset(True)
        for _ in range(2 * k + 1):
            action, state = agent.act(obs, state, explore=True)
            assert env.action_space.contains(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            agent.observe(Transition(obs, action, reward, obs, terminated, truncated))
        assert agent.replay.action[:2 * k, -1].tolist() == list(range(k)) * 2   # plan steps
    with pytest.raises(ValueError, match="k = 2"):
        dyne_agent(f"wmenvs/{targets[0]}-v0", embedding=str(path), k=2)
    with pytest.raises(ValueError, match="size 2"):
        dyne_agent("wmenvs/ReacherVertical-v0", embedding=str(path), k=k) if source == "Pusher" \
            else dyne_agent("wmenvs/Pusher-v0", embedding=str(path), k=k)


@pytest.mark.slow
def test_dyne_td3_learns_point_goal(tmp_path):
    """300 random pretraining steps, then 1,200 of DynE-TD3 (k = 4): final -3.1 / -3.9 / -3.8
    on seeds 0-2, success 1.0 each (random about -17; TD3 -1.2 to -1.8 on the same task)."""
    torch.manual_seed(0)
    env = make_point_goal()
    agent = DynETD3(env.observation_space, env.action_space, DynETD3Config(
        hidden=(32, 32), batch_size=32, pretrain_steps=300, embedding_hidden=(64, 64),
        embedding_updates=300, decoder_updates=300), seed=0)
    final = train_point_goal(agent, tmp_path, 1500)
    assert final["mean_return"] > -8 and final["success_rate"] >= 0.9


def test_release_quirks_reproduce_the_releases_bugs(tmp_path):
    """release_quirks (spec §7): the predictor sees a constant, raw actions are encoded, the
    decoder learns the whitened encoder means of real sequences with the release's loss, and
    DynE-TD3 acts in that space and sends decoded actions unmapped (Pusher: within +-1 of +-2)."""
    torch.manual_seed(0)
    replay, space = collect_random_steps("wmenvs/Pusher-v0", 400, seed=0)
    config = ActionDynEConfig(hidden=(16, 16), updates=20, decoder_updates=20,
                              release_quirks=True)
    model, _ = train_action_dyne(replay, space, config)
    obs = torch.randn(5, 23)
    actions = torch.zeros(5, 4, 7)
    seen = []
    model.predictor.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    model.embedding_loss(obs, actions, obs)
    constant = seen[0][:, :23]
    assert torch.equal(constant, constant[:1].expand(5, -1))          # §7.1: not f(s)
    assert float(model.max_latent) > 0 and not torch.equal(model.z_std, torch.ones(7))
    path = tmp_path / "quirky.pt"
    model.save(path)
    agent = dyne_agent("wmenvs/Pusher-v0", embedding=str(path))
    assert float(agent.actor.scale[0]) == pytest.approx(float(model.max_latent))
    plan = agent.decode(np.full(7, float(model.max_latent), np.float32))
    assert np.all(np.abs(plan) <= 1.0)                                  # §7.3: tanh, unmapped


def test_embedding_files_from_before_the_decoder_space_buffers_still_load(tmp_path):
    torch.manual_seed(0)
    model = ActionDynE(11, 2, ActionDynEConfig(hidden=(8, 8)))
    weights = {k: v for k, v in model.state_dict().items()
               if k not in ("z_mean", "z_std", "max_latent")}
    config = {k: v for k, v in dataclasses.asdict(model.config).items()
              if k not in ("decoder_inputs", "release_quirks")}
    torch.save({"config": config, "obs_dim": 11, "action_dim": 2, "weights": weights,
                "meta": {}}, tmp_path / "old.pt")
    loaded = ActionDynE.load(tmp_path / "old.pt")
    assert float(loaded.max_latent) == 3.0 and torch.equal(loaded.z_std, torch.ones(2))
    with pytest.raises(ValueError, match="decoder_inputs"):
        train_action_dyne(*collect_random_steps("wmenvs/ReacherVertical-v0", 50, seed=0),
                          ActionDynEConfig(decoder_inputs="uniform"))
