"""Suites: versioned evaluation protocols stored as JSON data in ``leaderboard/suites/``.

A suite fixes the env IDs, the training budget in env steps, the evaluation schedule and
episodes, the default number of seeds and, where known, the score range used to normalise
returns to [0, 1] (``(R - low) / (high - low)``), with its source; ``reference`` says what the
top of the range is (``python -m leaderboard.score_ranges`` measures the rest). Changing any of
it bumps ``version``; runs are labelled ``<name>@v<version>`` in the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from wmagents.harness.spec import RunSpec

SUITES_DIR = Path(__file__).parent / "suites"


@dataclass(frozen=True)
class Task:
    env_id: str
    budget: int
    eval_every: int
    eval_episodes: int
    score_range: tuple[float, float] | None = None
    score_range_source: str = ""
    reference: float | str | None = None   # the range's top: a number, "expert" or "bfs"
    reference_source: str = ""             # where the reference comes from

    def normalise(self, value: float) -> float | None:
        if self.score_range is None:
            return None
        low, high = self.score_range
        return (value - low) / (high - low)


@dataclass(frozen=True)
class Suite:
    name: str
    version: int
    description: str
    seeds: int
    tasks: tuple[Task, ...]

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"

    def task(self, env_id: str) -> Task:
        return next(t for t in self.tasks if t.env_id == env_id)

    def at_smoke_size(self, steps: int = 200) -> "Suite":
        """The same tasks with at most ``steps`` training steps, one evaluation episode at the
        start and end, one seed, labelled ``<name>-smoke`` (tests and dry runs)."""
        tasks = tuple(replace(t, budget=min(t.budget, steps), eval_every=min(t.budget, steps),
                              eval_episodes=1) for t in self.tasks)
        return replace(self, name=f"{self.name}-smoke", seeds=1, tasks=tasks)

    def specs(self, agent: str, seeds: int | None = None, overrides: dict | None = None,
              isolation: str = "process") -> list[RunSpec]:
        """Seed-major order, so a process pool runs the tasks side by side; the agent in its
        own sandboxed process unless ``isolation="none"``."""
        return [RunSpec(agent, t.env_id, seed, t.budget, t.eval_every, t.eval_episodes,
                        dict(overrides or {}), isolation)
                for seed in range(self.seeds if seeds is None else seeds) for t in self.tasks]


def available() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def load_suite(name: str) -> Suite:
    """A suite by name (``smoke``) or by path to a JSON file of the same shape."""
    path = Path(name) if name.endswith(".json") else SUITES_DIR / f"{name}.json"
    if not path.exists():
        raise ValueError(f"unknown suite {name!r}; available: {available()}")
    return suite_from_dict(json.loads(path.read_text()))


def suite_from_dict(data: dict) -> Suite:
    """A suite from its JSON data (a suite file, or a bundle's manifest)."""
    data = dict(data)
    tasks = tuple(Task(**{**t, "score_range": tuple(t["score_range"]) if t.get("score_range")
                          else None}) for t in data.pop("tasks"))
    return Suite(tasks=tasks, **data)
