"""The battery every agent of the agent table must pass (DESIGN.md: the agent table).

Parametrised over :data:`wmagents.agents.AGENT_TABLE` x the spaces each row supports, on the
toy envs of ``tests/toy_envs.py`` with the row's ``smoke`` overrides: a run through the real
loop, an interrupted run resumed from its checkpoint equal to an uninterrupted one, a
``state_dict`` round trip, unknown overrides refused by name, ``terminated`` and ``truncated``
kept apart in the replay, and (checked by the toy env on every step) actions inside the space.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toy_envs import make_toy
from wmagents.agents import AGENT_TABLE
from wmagents.api import Agent
from wmagents.harness.loop import LoopConfig, train

CASES = [pytest.param(entry, obs, act, id=f"{entry.name}-{obs}-{act}")
         for entry in AGENT_TABLE for obs in entry.observations for act in entry.actions]
BUDGET = 120


def build(entry, obs, act, seed=0, overrides=None):
    """As the runner builds it: torch seeded with the run seed, then ``make_agent``."""
    torch.manual_seed(seed)
    env = make_toy(obs, act)
    return entry.load().make_agent(env.observation_space, env.action_space, seed=seed,
                                   device="cpu", overrides={**entry.smoke, **(overrides or {})})


def run(agent, obs, act, run_dir, checkpoint_every=BUDGET):
    config = LoopConfig(BUDGET, BUDGET // 2, 2, checkpoint_every=checkpoint_every)
    return train(agent, lambda: make_toy(obs, act), 0, config, run_dir)


@pytest.mark.parametrize("entry, obs, act", CASES)
def test_smoke_run_through_the_loop_keeps_episode_ends_apart(entry, obs, act, tmp_path):
    agent = build(entry, obs, act)
    assert isinstance(agent, Agent)
    result = run(agent, obs, act, tmp_path)
    assert [p["step"] for p in result.eval_points] == [0, BUDGET // 2, BUDGET]
    assert all(np.isfinite(p["mean_return"]) for p in result.eval_points)
    ends = {(e["terminated"], e["truncated"]) for e in result.train_episodes}
    assert {(True, False), (False, True)} <= ends            # the toy produced both
    if not entry.stores_transitions:
        assert not hasattr(agent, "replay")
        return
    # every step is stored: in ``replay``, or first in a pretraining dataset (DynE-TD3)
    buffers = [b for b in (getattr(agent, "pretraining_replay", None), agent.replay)
               if b is not None]
    assert sum(b.transitions for b in buffers) == BUDGET
    terminated, truncated = (np.concatenate([getattr(b, name)[: b.size] for b in buffers])
                             for name in ("terminated", "truncated"))
    assert (terminated & ~truncated).any() and (truncated & ~terminated).any()   # not one "done"
    assert terminated.sum() == sum(e["terminated"] for e in result.train_episodes)
    assert truncated.sum() == sum(e["truncated"] for e in result.train_episodes)


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("entry, obs, act", CASES)
def test_checkpoint_and_resume_equal_an_uninterrupted_run(entry, obs, act, tmp_path,
                                                          monkeypatch):
    reference = run(build(entry, obs, act), obs, act, tmp_path / "clean", checkpoint_every=30)
    agent = build(entry, obs, act)
    observe, seen = agent.observe, []

    def crash_late(transition):
        seen.append(1)
        if len(seen) == 100:
            raise Interrupt
        return observe(transition)

    monkeypatch.setattr(agent, "observe", crash_late)
    with pytest.raises(Interrupt):
        run(agent, obs, act, tmp_path / "resumed", checkpoint_every=30)
    torch.manual_seed(12345)          # the resumed process starts from other RNG states
    resumed = run(build(entry, obs, act), obs, act, tmp_path / "resumed", checkpoint_every=30)
    assert resumed.resumed_from is not None and 30 <= resumed.resumed_from < 100
    assert resumed.eval_points == reference.eval_points
    assert resumed.train_episodes == reference.train_episodes


def assert_same_state(a, b, path="state"):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same_state(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f"{path}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b, path


@pytest.mark.parametrize("entry, obs, act", CASES)
def test_state_dict_round_trip_continues_identically(entry, obs, act, tmp_path):
    agent = build(entry, obs, act)
    run(agent, obs, act, tmp_path)
    clone = build(entry, obs, act, seed=99)
    clone.load_state_dict(agent.state_dict())
    assert_same_state(clone.state_dict(), agent.state_dict())
    env = make_toy(obs, act)
    first, _ = env.reset(seed=5)
    for explore in (True, False):
        torch.manual_seed(7)
        state = agent.reset(explore)
        a = [agent.act(first, state, explore)[0] for _ in range(3)]
        torch.manual_seed(7)
        state = clone.reset(explore)
        b = [clone.act(first, state, explore)[0] for _ in range(3)]
        np.testing.assert_array_equal(np.array(a), np.array(b))


@pytest.mark.parametrize("entry, obs, act", CASES)
def test_unknown_overrides_are_refused_by_name(entry, obs, act):
    with pytest.raises(ValueError, match="no_such_field"):
        build(entry, obs, act, overrides={"no_such_field": 1})
