"""DMC pixel steps vs dm_control's ``physics.render(64, 64)``, the look of each, and locomotion.

    python benchmarks/bench_dmc.py [--steps 300] [--repeats 3] [--tasks cheetah-run ...]
        [--figure docs/dmc_profiles.png] [--write]

For each task, in the same run and interleaved, one process each (so every side gets its own
fresh Mesa state):

* ``wmenvs``: ``gym.make("wmenvs/DMC-<task>-Pixels-v0")``, one step = physics + 64x64 frame
  through the reused lazy renderer, "standard" visual profile (the ID's default: DMC's look);
* ``dm_control``: ``env.step(a)`` then ``env.physics.render(64, 64, camera_id)`` with the
  default visuals, the way ``dm_control.suite.wrappers.pixels`` and the papers' code render
  (the same look). It runs with Mesa's default threading (llvmpipe worker threads), which is
  faster for that path here than wmenvs' single-threaded setting (see ``wmenvs/rendering.py``);
* the look: mean absolute difference of the default frames to ``physics.render`` over 50
  states (``wmenvs.dmc.fidelity``), target <= 1.5 / 255.

Target: wmenvs pixel steps >= 5x faster while drawing the same look. Also prints the state
IDs' and the ALM locomotion IDs' steps/s. ``--figure`` draws, per task, ``physics.render``
beside the three visual profiles. ``--write`` replaces the "DMC and locomotion" section of
RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_average, machine, median_of, steps_per_second, write_section  # noqa: E402
from wmenvs.registration import DMC_TASKS  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent

SECTION = "## DMC and locomotion"
DEFAULT_TASKS = ("cartpole-swingup", "reacher-easy", "cheetah-run", "finger-spin",
                 "ball_in_cup-catch", "walker-walk", "quadruped-run")
LOCOMOTION_IDS = ("wmenvs/T-Ant-v0", "wmenvs/T-Humanoid-v0", "wmenvs/HalfCheetah-v0",
                  "wmenvs/Walker2d-v0", "wmenvs/Hopper-v0")
TARGET_SPEEDUP = 5.0
TARGET_DIFFERENCE = 1.5           # mean |frame - physics.render| per pixel, 0-255 scale
PROFILES = ("standard", "exact", "minimal")


def dm_control_render_steps_per_second(task: str, steps: int) -> float:
    """dm_control's own pixel pipeline: step, then ``physics.render(64, 64)``, default look."""
    import numpy as np
    from dm_control import suite

    from wmenvs.dmc import default_camera

    domain, _, task_name = task.partition("-")
    env = suite.load(domain, task_name, task_kwargs={"random": 0})
    spec = env.action_spec()
    actions = np.random.default_rng(0).uniform(spec.minimum, spec.maximum, (steps, *spec.shape))
    camera = default_camera(domain)
    env.reset()
    env.physics.render(64, 64, camera_id=camera)  # warm-up: the GL context
    start = time.perf_counter()
    for action in actions:
        time_step = env.step(action)
        env.physics.render(64, 64, camera_id=camera)
        if time_step.last():
            env.reset()
    return steps / (time.perf_counter() - start)


def look_difference(task: str, states: int = 50) -> float:
    """Mean |default frame - physics.render| per pixel over ``states`` states (0-255)."""
    from wmenvs.dmc import fidelity

    env, recorded = fidelity.reference_states(*task.split("-"), states)
    references = fidelity.physics_render_frames(env, recorded)
    return fidelity.mean_difference(fidelity.profile_frames(env, recorded, "standard"), references)


def draw_profiles(tasks, path: str) -> None:
    """One row per task: physics.render, then each visual profile, at the same state."""
    import numpy as np
    from PIL import Image, ImageDraw

    from wmenvs.dmc import fidelity

    rows = []
    for task in tasks:
        env, states = fidelity.reference_states(*task.split("-"), 1)
        frames = fidelity.physics_render_frames(env, states)
        frames += [fidelity.profile_frames(env, states, p)[0] for p in PROFILES]
        rows.append(np.concatenate([np.kron(f, np.ones((2, 2, 1), np.uint8)) for f in frames], 1))
    grid = Image.fromarray(np.concatenate(rows, 0))
    canvas = Image.new("RGB", (grid.width + 130, grid.height + 18), "white")
    canvas.paste(grid, (130, 18))
    draw = ImageDraw.Draw(canvas)
    for column, name in enumerate(("physics.render", *PROFILES)):
        draw.text((134 + 128 * column, 3), name, fill="black")
    for row, task in enumerate(tasks):
        draw.text((4, 18 + 128 * row + 58), task, fill="black")
    canvas.save(path)


def measure_in_subprocess(kind: str, target: str, steps: int, repeats: int) -> float:
    """Run one measurement in a fresh interpreter; ``dm_control`` gets Mesa's default threading."""
    env = dict(os.environ, MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"))
    if kind == "dm_control":
        env.pop("LP_NUM_THREADS", None)
    command = [sys.executable, __file__, "--worker", kind, target, str(steps), str(repeats)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def worker(kind: str, target: str, steps: int, repeats: int) -> None:
    os.environ.setdefault("MUJOCO_GL", "egl")
    import wmenvs  # noqa: F401  (registers the IDs; wmenvs.rendering sets LP_NUM_THREADS=0)

    if kind == "dm_control":
        os.environ.pop("LP_NUM_THREADS", None)  # before the first GL call of this process
        rate = median_of(repeats, dm_control_render_steps_per_second, target, steps)
    elif kind == "look":
        rate = look_difference(target)
    else:
        rate = median_of(repeats, steps_per_second, target, steps)
    print(json.dumps(rate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="median over this many")
    parser.add_argument("--tasks", nargs="*", default=list(DEFAULT_TASKS))
    parser.add_argument("--figure", help="write the side-by-side PNG of the visual profiles")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, target, steps, repeats = args.worker
        return worker(kind, target, int(steps), int(repeats))

    header = (f"`python benchmarks/bench_dmc.py --steps {args.steps} --repeats {args.repeats}"
              f"{' --write' if args.write else ''}` on {machine()}, MUJOCO_GL="
              f"{os.environ.get('MUJOCO_GL', 'egl')}, Mesa llvmpipe; median of {args.repeats} runs of "
              f"{args.steps} steps, random actions, resets included; one fresh process per cell. "
              f"Load average (1/5/15 min) at the start: {load_average()} on {os.cpu_count()} cores "
              f"(above the core count other work shared the machine: absolute rates are then "
              f"pessimistic; the two sides of a speed-up ran interleaved under the same load).")
    rows = ["| task | wmenvs Pixels-v0, standard look (steps/s) | dm_control step + "
            "physics.render(64, 64) (steps/s) | speed-up | >= 5x | wmenvs state -v0 (steps/s) |",
            "| --- | ---: | ---: | ---: | --- | ---: |"]
    for task in tqdm(args.tasks, desc="DMC tasks"):
        domain, _, task_name = task.partition("-")
        pixels = measure_in_subprocess("wmenvs", f"wmenvs/DMC-{domain}-{task_name}-Pixels-v0",
                                       args.steps, args.repeats)
        baseline = measure_in_subprocess("dm_control", task, args.steps, args.repeats)
        state = measure_in_subprocess("wmenvs", f"wmenvs/DMC-{domain}-{task_name}-v0",
                                      10 * args.steps, args.repeats)
        speedup = pixels / baseline
        rows.append(f"| {task} | {pixels:,.0f} | {baseline:,.1f} | {speedup:.1f}x | "
                    f"{'yes' if speedup >= TARGET_SPEEDUP else 'NO'} | {state:,.0f} |")
        print(rows[-1], flush=True)
    locomotion = ["| ID | steps/s |", "| --- | ---: |"]
    for env_id in tqdm(LOCOMOTION_IDS, desc="locomotion"):
        rate = measure_in_subprocess("wmenvs", env_id, 10 * args.steps, args.repeats)
        locomotion.append(f"| `{env_id}` | {rate:,.0f} |")
        print(locomotion[-1], flush=True)
    looks = ["| task | mean difference to physics.render (/255) | <= 1.5 |", "| --- | ---: | --- |"]
    for domain, task_name in tqdm(DMC_TASKS, desc="look"):
        look = measure_in_subprocess("look", f"{domain}-{task_name}", args.steps, args.repeats)
        looks.append(f"| {domain}-{task_name} | {look:.2f} | "
                     f"{'yes' if look <= TARGET_DIFFERENCE else 'NO'} |")
        print(looks[-1], flush=True)
    rows += ["", "Look of the default pixel IDs (`visual_profile=\"standard\"`): mean absolute "
                 "difference per pixel to `physics.render(64, 64, camera)` over 50 states of a "
                 "seeded random-action episode (`wmenvs.dmc.fidelity`; `visual_profile=\"exact\"` "
                 "is bit-identical, tested):", "", *looks]
    if args.figure:
        draw_profiles(args.tasks, args.figure)
        rows += ["", f"![physics.render beside the three visual profiles]"
                     f"({os.path.relpath(args.figure, RESULTS_DIR)})"]
    text = "\n".join([SECTION, "", header, "", *rows, "",
                      f"Locomotion (state, {10 * args.steps} steps per run):", "", *locomotion, ""])
    print(text)
    if args.write:
        write_section(SECTION, text + "\n")


if __name__ == "__main__":
    main()
