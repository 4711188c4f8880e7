"""Steps per second of any registered ID, one process, observation included.

    python benchmarks/bench_steps.py wmenvs/ShapeHerd-v0 [more IDs] [--steps N] [--repeats R] [--write]

``--write`` puts the table in the "Steps per second" section of ``benchmarks/RESULTS.md``
(rows of IDs measured earlier are kept). For IDs with an action repeat (``frame_skip``) the
underlying physics steps per second are shown too.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import gymnasium as gym

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, load_average, machine, median_of, steps_per_second, write_section  # noqa: E402

import wmenvs  # noqa: E402,F401  (registers the IDs)

SECTION = "## Steps per second (bench_steps.py)"
HEADER = "| ID | agent steps/s | physics steps/s | steps x repeats | load at start |\n| --- | ---: | ---: | --- | --- |\n"


def measure(env_id: str, steps: int, repeats: int) -> str:
    frame_skip = getattr(gym.make(env_id).unwrapped, "frame_skip", 1)
    load = load_average()
    rate = median_of(repeats, steps_per_second, env_id, steps)
    physics = f"{rate * frame_skip:,.0f}" if frame_skip > 1 else "-"
    print(f"{env_id}: {rate:,.0f} agent steps/s ({physics} physics steps/s), median of {repeats}", flush=True)
    return f"| `{env_id}` | {rate:,.0f} | {physics} | {steps:,} x {repeats} | {load} |"


def previous_rows() -> dict[str, str]:
    if not RESULTS.exists():
        return {}
    match = re.search(rf"^{re.escape(SECTION)}\n(.*?)(?=^## |\Z)", RESULTS.read_text(), re.S | re.M)
    rows = re.findall(r"^\| `([^`]+)` \|.*$", match.group(1), re.M) if match else []
    lines = re.findall(r"^(\| `[^`]+` \|.*)$", match.group(1), re.M) if match else []
    return dict(zip(rows, lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env_ids", nargs="+")
    parser.add_argument("--steps", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = previous_rows()
    for env_id in args.env_ids:
        rows[env_id] = measure(env_id, args.steps, args.repeats)
    if args.write:
        text = (f"{SECTION}\n\n`python benchmarks/bench_steps.py <IDs> --write` on {machine()}: one process, "
                "random actions, observation rendered every step, resets included; median of the repeats. "
                "The load average (1/5/15 min) at the start of each row says whether other work shared the cores.\n\n"
                + HEADER + "\n".join(rows.values()) + "\n")
        write_section(SECTION, text)
        print(f"wrote {SECTION!r} in {RESULTS}")


if __name__ == "__main__":
    main()
