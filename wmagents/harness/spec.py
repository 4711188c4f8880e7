"""Run specs: what one training run is, and the id it hashes to.

A spec names an agent adapter (a module exposing ``make_agent``, or ``make_planner`` for a
planner that acts on the env itself, such as the CEM + true simulator oracle), an env ID, a
seed, the budget in simulator steps (0 for a planner: it only evaluates), the evaluation
schedule and config overrides. Its id is a hash of its
canonical JSON, so re-submitting the same spec finds the same run (finished: skipped;
unfinished: resumed from its checkpoint).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType


ISOLATION = ("none", "process")


@dataclass(frozen=True)
class RunSpec:
    agent: str                # adapter module, e.g. "baselines.sac" (or "baselines/sac")
    env_id: str
    seed: int
    budget: int               # simulator steps of training (0: evaluate only, planners)
    eval_every: int
    eval_episodes: int
    overrides: dict = field(default_factory=dict)   # agent config fields
    isolation: str = "none"   # "process": the agent in its own sandboxed process (harness/sandbox.py)

    def __post_init__(self):
        if self.isolation not in ISOLATION:
            raise ValueError(f"isolation must be one of {ISOLATION}, got {self.isolation!r}")
        object.__setattr__(self, "agent", canonical_agent(self.agent))   # found, not imported
        json.dumps(self.overrides)  # overrides must be JSON data (they are hashed)

    def to_json(self) -> str:
        """Canonical JSON; ``isolation`` only when not the default, so in-process specs keep
        the ids they had before it existed."""
        data = asdict(self)
        if data["isolation"] == "none":
            del data["isolation"]
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @property
    def run_id(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls(**json.loads(text))


def canonical_agent(agent: str) -> str:
    """``baselines/sac``, ``baselines/sac/`` and ``baselines.sac`` all name one module; a path
    outside any importable package stays an absolute path."""
    name = agent.rstrip("/").removesuffix(".py").replace("/", ".")
    try:
        if importlib.util.find_spec(name) is not None:
            return name
    except (ImportError, ValueError):
        pass
    if Path(agent).exists():
        return str(Path(agent).resolve())
    raise ValueError(f"agent {agent!r}: neither an importable module {name!r} nor a path")

def load_adapter(agent: str) -> ModuleType:
    """Import the adapter module named by a (canonical) agent string."""
    path = Path(agent)
    if path.is_absolute():
        file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        spec = importlib.util.spec_from_file_location(f"wmagents_adapter_{path.stem}", file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(agent)
    if not (hasattr(module, "make_agent") or hasattr(module, "make_planner")):
        raise ValueError(f"agent adapter {agent!r} defines no make_agent(observation_space, "
                         "action_space, *, seed, device, overrides) nor make_planner(env, *, "
                         "seed, overrides)")
    return module
