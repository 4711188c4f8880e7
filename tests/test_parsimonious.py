"""Parsimonious dynamics (Saanum & Schulz): model pieces, baselines, agents, reproduction entry."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import wmenvs  # noqa: F401
from wmagents.agents import parsimonious_planning, parsimonious_sac
from wmagents.agents.sac_discrete import DiscreteSAC
from wmagents.harness.loop import run_episode
from wmagents.models.latent_baselines import BASELINE_KINDS, make_dynamics_model
from wmagents.models.parsimonious import (ParsimoniousDynamics, apply_transform,
                                          contrastive_loss, contrastive_targets, skew_symmetric,
                                          straight_through_code, transform_parts,
                                          transition_error)
from wmenvs.gridworlds import get_world, observation_table

TINY = dict(latent_dim=6, hidden=(32, 32), transform="both", beta=0.5)


@pytest.fixture(autouse=True)
def seeded_torch():
    torch.manual_seed(0)


def grid_batch(world="GridWorld", n=64, seed=0):
    """Random transitions ``(s, a, s')`` of a world, with their cells."""
    grid, table = get_world(world), observation_table(world, 64, 0, 0.0)
    rng = np.random.default_rng(seed)
    cells, actions = rng.integers(grid.num_cells, size=n), rng.integers(5, size=n)
    nxt = grid.P[cells, actions]
    as_t = lambda x: torch.as_tensor(np.asarray(x), dtype=torch.float32)  # noqa: E731
    return as_t(table[cells]), torch.as_tensor(actions), as_t(table[nxt]), cells, nxt


# ---------------------------------------------------------------- transforms (§2.3)
@pytest.mark.parametrize("n", [2, 5, 15])
def test_rotations_are_orthogonal_with_determinant_one(n):
    params = 3 * torch.randn(50, n * (n - 1) // 2, dtype=torch.float64)
    skew = skew_symmetric(params, n)
    assert torch.equal(skew, -skew.transpose(-1, -2))
    rotation, translation = transform_parts("rotation", params, n)
    assert translation is None
    eye = torch.eye(n, dtype=torch.float64).expand(50, n, n)
    torch.testing.assert_close(rotation @ rotation.transpose(-1, -2), eye)
    torch.testing.assert_close(torch.linalg.det(rotation), torch.ones(50, dtype=torch.float64))


def test_composition_rotates_then_translates():
    n = 4
    params = torch.randn(3, n * (n - 1) // 2 + n)
    z = torch.randn(3, n)
    rotation, translation = transform_parts("both", params, n)
    torch.testing.assert_close(apply_transform((rotation, translation), z),
                               torch.einsum("bij,bj->bi", rotation, z) + params[:, -n:])
    torch.testing.assert_close(apply_transform(transform_parts("translation", params[:, -n:], n), z),
                               z + params[:, -n:])
    with pytest.raises(ValueError, match="transform"):
        ParsimoniousDynamics(10, 5, transform="shear")


# ---------------------------------------------------------------- code, prior, losses
def test_straight_through_code_is_binary_and_has_gradients():
    logits = torch.tensor([-2.0, -0.1, 0.0, 0.3, 4.0], requires_grad=True)
    h = straight_through_code(logits)
    assert h.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]            # eq. 3: 1 iff p >= 0.5
    (h * torch.arange(1.0, 6.0)).sum().backward()
    p = torch.sigmoid(logits.detach())
    torch.testing.assert_close(logits.grad, torch.arange(1.0, 6.0) * p * (1 - p))


def test_transition_gradients_reach_the_posterior_through_the_rounding():
    model = ParsimoniousDynamics(68, 5, **{**TINY, "beta": 0.0})
    s, a, s2, *_ = grid_batch()
    loss, _ = model.loss(s, a, s2)
    loss.backward()
    # with beta = 0 the posterior g only influences the loss through the binary code h
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.posterior.parameters())


def test_prior_sees_the_action_only():
    model = ParsimoniousDynamics(68, 5, **TINY)
    assert model.prior[0].in_features == 5
    a = torch.arange(5)
    logits = model.prior_logits(a)
    grads = torch.autograd.grad(logits.sum(), list(model.encoder.parameters())
                                + list(model.posterior.parameters()), allow_unused=True)
    assert all(g is None for g in grads)
    # the same action gives the same prior whatever state the batch holds
    torch.testing.assert_close(model.prior_logits(torch.tensor([3, 3])), logits[[3, 3]])


def test_contrastive_targets_follow_eq5():
    s = torch.tensor([[0.0, 0.0], [0.03, 0.04], [0.0, 0.0], [3.0, 4.0]])
    target = contrastive_targets(s, tau_s=100.0)
    expected = torch.tensor([[1.0, math.exp(-5.0), 1.0, math.exp(-500.0)],
                             [math.exp(-5.0), 1.0, math.exp(-5.0), math.exp(-100 * 4.95)],
                             [1.0, math.exp(-5.0), 1.0, math.exp(-500.0)],
                             [math.exp(-500.0), math.exp(-495.0), math.exp(-500.0), 1.0]])
    torch.testing.assert_close(target, expected)


def test_contrastive_loss_is_the_cross_entropy_of_eq6():
    s = torch.randn(6, 3)
    s[3] = s[0]                                              # one repeated state
    z = torch.randn(6, 2, requires_grad=True)
    loss = contrastive_loss(z, s, tau_s=100.0, tau_z=0.1)
    k = torch.exp(-0.1 * torch.cdist(z.detach(), z.detach())).clamp(max=1 - 1e-6)
    l = torch.exp(-100 * torch.cdist(s, s))
    expected = -(l * torch.log(k) + (1 - l) * torch.log(1 - k)).mean()
    torch.testing.assert_close(loss.detach(), expected, rtol=1e-3, atol=1e-3)
    loss.backward()
    assert torch.isfinite(z.grad).all()
    # spreading distinct states apart lowers the loss; merging them raises it
    assert contrastive_loss(10 * z.detach(), s, 100.0, 0.1) < loss
    assert contrastive_loss(0.01 * z.detach(), s, 100.0, 0.1) > loss


def test_transition_error_is_zero_only_for_a_perfect_prediction():
    z = torch.randn(4, 15)
    assert transition_error(z, z).abs().max() < 1e-3
    errors = [transition_error(z + r, z).mean().item() for r in (0.01, 0.1, 1.0)]
    assert errors == sorted(errors) and errors[0] > 0


def test_prediction_decodes_each_code_once_and_matches_the_plain_computation():
    model = ParsimoniousDynamics(68, 5, **TINY)
    s, a, *_ = grid_batch()
    z = model.encode(s)
    with torch.no_grad():
        onehot = torch.nn.functional.one_hot(a, 5).float()
        h = (model.posterior(torch.cat([z, onehot], -1)) >= 0).float()
        parts = transform_parts("both", model.decoder(torch.cat([h, onehot], -1)), 6)
        torch.testing.assert_close(model.predict(z, a), apply_transform(parts, z))


@pytest.mark.parametrize("kind", ["parsimonious", "stochastic", *BASELINE_KINDS])
def test_every_model_trains_and_predicts(kind):
    model = make_dynamics_model("parsimonious" if kind == "stochastic" else kind, 68, 5,
                                stochastic=kind == "stochastic", **TINY)
    s, a, s2, *_ = grid_batch()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    losses = []
    for _ in range(30):
        loss, metrics = model.loss(s, a, s2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]
    assert model.predict(model.encode(s), a).shape == (64, 6)
    assert all(math.isfinite(v) for v in metrics.values())


def test_stochastic_flag_is_the_parsimonious_variant_only():
    with pytest.raises(ValueError, match="stochastic"):
        make_dynamics_model("rnn", 68, 5, stochastic=True, **TINY)
    with pytest.raises(ValueError, match="kind"):
        make_dynamics_model("gru", 68, 5, **TINY)


@pytest.mark.slow
def test_parsimonious_model_learns_the_gridworld_transitions():
    """Learning test: after training on all GridWorld transitions, the predicted latent of
    ``(s, a)`` is nearest to the encoding of the true next cell for most pairs."""
    torch.manual_seed(1)
    table = observation_table("GridWorld", 64, 0, 0.0)
    model = ParsimoniousDynamics(68, 5, latent_dim=15, hidden=(128, 128), transform="translation")
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    for step in range(250):
        s, a, s2, *_ = grid_batch(n=128, seed=step)
        loss, _ = model.loss(s, a, s2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    s, a, _, cells, nxt = grid_batch(n=500, seed=10_000)
    with torch.no_grad():
        encoded = model.encode(torch.tensor(table, dtype=torch.float32))
        predicted = model.predict(model.encode(s), a)
    accuracy = (torch.cdist(predicted, encoded).argmin(-1).numpy() == nxt).mean()
    assert accuracy > 0.8, accuracy


# ---------------------------------------------------------------- agents
def test_latent_sac_runs_algorithm1_and_round_trips():
    env = gym.make("wmenvs/GridWorld-v0")
    overrides = {"model": "parsimonious", "hidden": [32, 32], "model_hidden": [32, 32],
                 "batch_size": 32, "dynamics_batch": 32, "updates_per_episode": 3,
                 "dynamics_updates_per_episode": 2}
    agent = parsimonious_sac.make_agent(env.observation_space, env.action_space, seed=0,
                                        device="cpu", overrides=overrides)
    metrics = []
    run_episode(agent, env, 0, True, lambda t, _: metrics.append(agent.observe(t)) and False)
    assert not any(metrics[:-1]) and {"contrastive", "critic_loss"} <= set(metrics[-1])
    assert agent.sac.actor[0].in_features == 15                    # the policy reads z, not s
    clone = parsimonious_sac.make_agent(env.observation_space, env.action_space, seed=5,
                                        device="cpu", overrides=overrides)
    clone.load_state_dict(agent.state_dict())
    obs = env.reset(seed=1)[0]
    assert agent.act(obs, None, False)[0] == clone.act(obs, None, False)[0]


def test_plain_sac_baseline_and_bad_overrides():
    env = gym.make("wmenvs/Torus-v0")
    agent = parsimonious_sac.make_agent(env.observation_space, env.action_space, seed=0,
                                        device="cpu", overrides={"model": "none"})
    assert type(agent) is DiscreteSAC and agent.sac.actor[0].in_features == 64
    with pytest.raises(ValueError, match="model_hidden"):
        parsimonious_sac.make_agent(env.observation_space, env.action_space, seed=0,
                                    device="cpu", overrides={"model": "none", "model_hidden": [8]})
    with pytest.raises(ValueError, match="policy learning"):
        parsimonious_sac.make_agent(env.observation_space, env.action_space, seed=0,
                                    device="cpu", overrides={"model": "ssm"})


def test_epsilon_schedule_of_appendix_a7():
    env = gym.make("wmenvs/GridWorldPlanning-v0")
    agent = parsimonious_planning.make_agent(env.observation_space, env.action_space, seed=0,
                                             device="cpu", overrides={"model": "true",
                                                                      "world": "GridWorld"})
    values = []
    for n in (1, 16, 30):
        agent.tasks_done = n - 1
        values.append(agent.epsilon())
    torch.testing.assert_close(values, [1.0, 1 - (15 / 30) ** 2.8, 1 - (29 / 30) ** 2.8])


@pytest.mark.parametrize("world", ["GridWorld", "Torus"])
def test_true_dynamics_latent_space(world):
    grid, table = get_world(world), observation_table(world, 64, 0, 0.0)
    oracle = parsimonious_planning.TrueGridDynamics(world, 64, 0, torch.device("cpu"))
    z = oracle.encode(torch.tensor(table, dtype=torch.float32))
    for action in range(5):
        nxt = oracle.predict(z, torch.full((len(z),), action))
        torch.testing.assert_close(nxt, z[torch.tensor(grid.P[:, action])])
        # one move is one unit in the oracle's space (also across the torus seam)
        moved = grid.P[:, action] != np.arange(grid.num_cells)
        steps = torch.linalg.vector_norm(nxt - z, dim=-1)[torch.as_tensor(moved)]
        torch.testing.assert_close(steps, torch.ones_like(steps), rtol=1e-4, atol=1e-4)


def test_true_dynamics_planner_reaches_a_near_goal():
    """With the paper's CEM budget (defaults) the oracle walks a 4-step path in few steps."""
    env = gym.make("wmenvs/GridWorldPlanning-v0")
    agent = parsimonious_planning.make_agent(env.observation_space, env.action_space, seed=0,
                                             device="cpu",
                                             overrides={"model": "true", "world": "GridWorld"})
    obs, _ = env.reset(seed=0, options={"start": (2, 2), "goal": (4, 4)})
    for step in range(1, 9):
        obs, _, _, _, info = env.step(agent.act(obs, None, explore=False)[0])
        if tuple(info["cell"]) == (4, 4):
            break
    assert tuple(info["cell"]) == (4, 4) and step <= 8, (step, info["cell"])


@pytest.mark.parametrize("model", ["parsimonious", "rnn"])
def test_planning_agent_learns_between_tasks_and_round_trips(model):
    env = gym.make("wmenvs/FourRoomsPlanning-v0")
    overrides = {"model": model, "model_hidden": [32, 32], "candidates": 20, "top_k": 4,
                 "iterations": 2, "horizon": 4, "dynamics_updates_per_episode": 2,
                 "dynamics_batch": 16, "tasks": 3}
    agent = parsimonious_planning.make_agent(env.observation_space, env.action_space, seed=0,
                                             device="cpu", overrides=overrides)
    metrics = []
    run_episode(agent, env, 0, True, lambda t, _: metrics.append(agent.observe(t)) and False)
    assert agent.tasks_done == 1 and metrics[-1]["epsilon"] == pytest.approx(1 - (1 / 3) ** 2.8)
    clone = parsimonious_planning.make_agent(env.observation_space, env.action_space, seed=3,
                                             device="cpu", overrides=overrides)
    clone.load_state_dict(agent.state_dict())
    obs = env.reset(seed=1)[0]
    assert agent.act(obs, None, False)[0] == clone.act(obs, None, False)[0]
    with pytest.raises(ValueError, match="Dict"):
        parsimonious_planning.make_agent(gym.make("wmenvs/Torus-v0").observation_space,
                                         env.action_space, seed=0, device="cpu", overrides={})
    with pytest.raises(ValueError, match="world"):
        parsimonious_planning.make_agent(env.observation_space, env.action_space, seed=0,
                                         device="cpu", overrides={"model": "true"})
