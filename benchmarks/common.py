"""Shared pieces of the benchmark scripts: the machine line, timing, and RESULTS.md sections."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

import gymnasium as gym

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    """E.g. ``2-core x86_64, AMD EPYC 7B13`` (from lscpu)."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = re.search(r"Model name:\s*(.+)", lscpu).group(1).strip()
    except (OSError, subprocess.CalledProcessError, AttributeError):
        model = platform.processor() or "unknown CPU"
    return f"{os.cpu_count()}-core {platform.machine()}, {model}"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def steps_per_second(env_id: str, steps: int, seed: int = 0, **make_kwargs) -> float:
    """Agent steps per second of one ``gym.make`` env (observation included), random actions
    sampled before the clock starts, resets counted in the time."""
    env = gym.make(env_id, **make_kwargs)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=seed)
    env.step(actions[0])  # warm-up: lazy renderers, the env checker's first-step inspection
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def median_of(repeats: int, measure, *args, **kwargs) -> float:
    """Median of ``repeats`` runs (other processes may share the cores)."""
    return statistics.median(measure(*args, **kwargs) for _ in range(repeats))


def write_section(section: str, text: str) -> None:
    """Replace (or append) the ``section`` heading's block of RESULTS.md (created if absent);
    ``text`` starts with that ``## `` heading, so a rerun finds and replaces it."""
    if not (section.startswith("## ") and text.startswith(section + "\n")):
        raise ValueError(f"section {section!r} must be a '## ' heading that starts the text")
    if RESULTS.exists():
        content = RESULTS.read_text()
    else:
        content = f"# Benchmark results\n\nMachine: {machine()}, no GPU. Numbers are what the scripts measured.\n"
    pattern = re.compile(rf"^{re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(content):
        content = pattern.sub(lambda _: text, content)
    else:
        content = content.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(content)


def publish(section: str, header: str, rows: list[str], write: bool) -> None:
    """Print the ``section`` (heading, header line, table rows); with ``write``, also put it
    into RESULTS.md."""
    text = "\n".join([section, "", header, "", *rows, ""])
    print(text)
    if write:
        write_section(section, text + "\n")
