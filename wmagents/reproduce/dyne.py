"""Whitney et al. 2020, *Dynamics-aware Embeddings*: Figures 4 (states) and 5 (pixels).

``python -m wmagents.reproduce dyne [--figure 4|5] [--budget smoke|small|paper] [--seeds N]
[--backend local|ray]``

* Figure 4: DynE-TD3, TD3 (the release's baseline: critic action-repeat trick) and SAC on
  ReacherVertical, ReacherTurn, ReacherPush, Pusher, Striker and Thrower. The action embeddings
  are pretrained once per family on uniform random steps of its source task (ReacherVertical,
  k = 4, for the Reacher family; Pusher, k = 4, for Pusher and Striker and k = 8 for Thrower)
  and their decoders transferred; the pretraining steps are *not* on the x-axis (§5.2).
  Evaluation: 10 noiseless episodes every 1e3 env steps up to 1e5-step runs, else every 5e3
  (spec decision 7). The paper has no table: the report prints its claims (DynE-TD3 learns
  faster than the baselines on every task and, with one exception, ends higher) beside our
  final return and curve mean (mean of all evaluations: "faster" as area under the curve), each
  mean [95 % bootstrap CI] (n), and curves (20 bins, mean and bootstrap CI, as the release's
  plotting notebook).
* Figure 5: SA-DynE-TD3, S-DynE-TD3, VAE-TD3 (``wmagents.agents.embedded_td3``) and pixel TD3 on the
  Reacher family's pixel IDs; each run pretrains its own embedding on its first 100K uniform
  random steps, which are on the x-axis (§5.3). Paper values: the release README's figure read
  by eye near 3M steps (spec §6). Pixel TD3 (``wmagents.agents.pixel_td3``) is the end-to-end
  baseline.

Figure 4 budgets: ``paper`` (8 seeds, the Fig. 4 x-ranges of spec §6, 100K-step datasets);
``small`` (CPU hours: ReacherVertical, ReacherTurn and Pusher to 5e4 env steps, 3 seeds,
DynE-TD3 and TD3; reduced: the x-ranges of ReacherTurn (1e6) and Pusher (2e6), SAC left out);
``smoke`` (CI: ReacherVertical, one 100-step episode, 2K-step dataset, 50 embedding and 50
decoder updates). Figure 5: ``paper`` (8 seeds, 3e6 / 5e6 / 5e6 env steps, 15,600 S-DynE and
3,900 VAE updates); ``small`` (ReacherVerticalPixels, 2 seeds, 5e4 env steps of which 2e4
pretraining, and — one S-DynE update at paper size takes 1.3 s on one CPU thread — 1,000
embedding updates of 16-channel, 200-unit nets; pixel TD3 at batch 32, as one update at 100
takes 0.25 s); ``smoke`` (CI: 300 steps, tiny nets).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from wmagents.harness.plots import binned_curve, eval_curve, new_figure, plot_curves, save
from wmagents.harness.spec import RunSpec
from wmagents.harness.stats import bootstrap_ci, mean_interval
from wmagents.harness.store import Store, work_dir_for
from wmagents.reproduce import (add_common_arguments, check_common_arguments, finished_line,
                                run_tables, sweep)

TASKS = ("ReacherVertical", "ReacherTurn", "ReacherPush", "Pusher", "Striker", "Thrower")
SOURCE = {"ReacherVertical": "ReacherVertical", "ReacherTurn": "ReacherVertical",
          "ReacherPush": "ReacherVertical", "Pusher": "Pusher", "Striker": "Pusher",
          "Thrower": "Pusher"}
K = {"Thrower": 8}                                   # §5.2: k = 4 except Thrower
X_RANGE = {"ReacherVertical": 50_000, "ReacherTurn": 1_000_000, "ReacherPush": 2_000_000,
           "Pusher": 2_000_000, "Striker": 4_000_000, "Thrower": 5_000_000}   # spec §6
RANDOM_RETURN = {"ReacherVertical": -92, "ReacherTurn": -218, "ReacherPush": -278,
                 "Pusher": -149, "Striker": -465, "Thrower": -203}   # spec §6 (the release)
AGENTS = {"DynE-TD3": "wmagents.agents.dyne_td3", "TD3": "wmagents.agents.td3",
          "SAC": "wmagents.agents.sac"}
CLAIM = "DynE-TD3 learns faster than TD3 and SAC; ends higher (one exception in six)"
PIXEL_TASKS = ("ReacherVertical", "ReacherTurn", "ReacherPush")
PIXEL_METHODS = {"SA-DynE-TD3": "sa_dyne", "S-DynE-TD3": "s_dyne", "VAE-TD3": "vae",
                 "Pixel-TD3": None}                  # method of embedded_td3; None: pixel_td3
PIXEL_PAPER = {"SA-DynE-TD3": (-7.5, -88, -127), "S-DynE-TD3": (-6.8, -110, -187),
               "VAE-TD3": (-20, -212, -222),          # release README figure near 3M (spec §6)
               "Pixel-TD3": ("below -30", -272, -300)}
PIXEL_CLAIM = ("SA-DynE-TD3 learns rapidly and solves all three; S-DynE-TD3 beats VAE-TD3; "
               "VAE-TD3 learns gradually at best; pixel TD3 diverges")
PIXEL_BUDGETS = {
    "paper": {"seeds": 8, "tasks": PIXEL_TASKS,
              "steps": {"ReacherVertical": 3_000_000, "ReacherTurn": 5_000_000,
                        "ReacherPush": 5_000_000}, "agent": {}, "pixel_td3": {}, "every": 5_000,
              "episodes": 10},
    "small": {"seeds": 2, "tasks": ("ReacherVertical",),
              "steps": dict.fromkeys(PIXEL_TASKS, 50_000),
              "agent": {"pretrain_steps": 20_000, "state_updates": 1_000,
                        "decoder_updates": 2_000, "embedding_width": 16,
                        "embedding_hidden": 200}, "pixel_td3": {"batch_size": 32},
              "every": 2_500,
              "episodes": 10},
    "smoke": {"seeds": 1, "tasks": ("ReacherVertical",),
              "steps": dict.fromkeys(PIXEL_TASKS, 300),
              "agent": {"pretrain_steps": 200, "state_updates": 5, "decoder_updates": 5,
                        "embedding_width": 4, "embedding_hidden": 16, "hidden": [32, 32],
                        "batch_size": 16},
              "pixel_td3": {"random_steps": 200, "channels": 8, "hidden": [32, 32],
                            "batch_size": 16}, "every": 150, "episodes": 1},
}
BUDGETS = {
    "paper": {"seeds": 8, "tasks": TASKS, "rows": tuple(AGENTS), "steps": X_RANGE,
              "dataset": 100_000, "embedding": {}, "agent": {}, "every": None, "episodes": 10},
    "small": {"seeds": 3, "tasks": ("ReacherVertical", "ReacherTurn", "Pusher"),
              "rows": ("DynE-TD3", "TD3"), "steps": dict.fromkeys(TASKS, 50_000),
              "dataset": 100_000, "embedding": {}, "agent": {}, "every": None, "episodes": 10},
    "smoke": {"seeds": 1, "tasks": ("ReacherVertical",), "rows": tuple(AGENTS),
              "steps": dict.fromkeys(TASKS, 100), "dataset": 2_000,
              "embedding": {"updates": 50, "decoder_updates": 50},
              "agent": {"hidden": [32, 32], "batch_size": 32}, "every": 100, "episodes": 2},
}


def collect_random_steps(env_id: str, steps: int, seed: int):
    """A :class:`ReplayBuffer` of ``steps`` uniform random env steps (``env_id``'s time limit
    ends the episodes) and the env's action space."""
    import gymnasium as gym

    import wmenvs  # noqa: F401
    from wmagents.agents.random_agent import random_action
    from wmagents.api import Transition
    from wmagents.replay import ReplayBuffer

    env = gym.make(env_id)
    rng = np.random.default_rng(seed)
    replay = ReplayBuffer(env.observation_space, env.action_space, steps + 1, seed)
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        action = random_action(env.action_space, rng)
        nxt, reward, terminated, truncated, _ = env.step(action)
        replay.add(Transition(obs, action, reward, nxt, terminated, truncated))
        obs = env.reset()[0] if terminated or truncated else nxt
    env.close()
    return replay, env.action_space


def embedding_settings(source: str, k: int, budget: str, folder: Path,
                       release_quirks: bool = False):
    """``(path, config, dataset steps)`` of the Action DynE of ``source`` at ``budget``: its
    file in ``folder`` is named by a hash of its settings. ``release_quirks``: the release's
    model (spec §7) on k times as many steps (its 100K k-step sequences, §7.5)."""
    from wmagents.models.dyne import ActionDynEConfig

    preset = BUDGETS[budget]
    config = ActionDynEConfig(k=k, release_quirks=release_quirks, **preset["embedding"])
    steps = preset["dataset"] * (k if release_quirks else 1)
    settings = {k: v for k, v in vars(config).items() if k != "release_quirks" or v}
    key = json.dumps([source, steps, settings], sort_keys=True, default=list)  # names stay
    # as before the release_quirks option existed, so earlier runs keep their run ids
    path = folder / f"{source}-k{k}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.pt"
    return path.resolve(), config, steps


def pretrained_embedding(source: str, k: int, budget: str, folder: Path,
                         release_quirks: bool = False) -> Path:
    """The Action DynE of :func:`embedding_settings` (seed 0), trained once and kept; its
    meta holds the pretraining time."""
    import torch

    from wmagents.models.dyne import train_action_dyne

    path, config, steps = embedding_settings(source, k, budget, folder, release_quirks)
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    start = time.perf_counter()
    replay, space = collect_random_steps(f"wmenvs/{source}-v0", steps, seed=0)
    collected = time.perf_counter() - start
    model, metrics = train_action_dyne(replay, space, config)
    partial = path.with_suffix(".partial")
    model.save(partial, source=source, dataset_steps=steps,
               collect_seconds=collected, train_seconds=time.perf_counter() - start - collected,
               threads=torch.get_num_threads(), **metrics)
    partial.replace(path)
    return path


def figure4_specs(budget: str, seeds: int, embeddings: dict) -> dict[tuple[str, str], list]:
    """``{(method, task): run specs}`` of Figure 4 at ``budget``."""
    preset = BUDGETS[budget]
    specs = {}
    for task in preset["tasks"]:
        steps = preset["steps"][task]
        every = preset["every"] or (1_000 if steps <= 100_000 else 5_000)
        warm_up = 10_000 if SOURCE[task] == "Pusher" else 0      # decision 7 (the DEV grids)
        for method in preset["rows"]:
            overrides = dict(preset["agent"])
            if method == "DynE-TD3":
                overrides.update(embedding=str(embeddings[task]), k=K.get(task, 4))
            if method in ("DynE-TD3", "TD3"):
                overrides.update(random_steps=min(warm_up, steps), critic_action_repeat=True)
            specs[method, task] = [RunSpec(AGENTS[method], f"wmenvs/{task}-v0", seed, steps,
                                           every, preset["episodes"], overrides)
                                   for seed in range(seeds)]
    return specs


def figure5_specs(budget: str, seeds: int,
                  release_quirks: bool = False) -> dict[tuple[str, str], list]:
    """``{(method, task): run specs}`` of Figure 5 at ``budget`` (pixel IDs); with
    ``release_quirks`` the embeddings train as the release's (pixel TD3 has none: its runs
    are the same)."""
    preset = PIXEL_BUDGETS[budget]
    quirks = {"release_quirks": True} if release_quirks else {}

    def agent_and_overrides(name):
        if name is None:
            return "wmagents.agents.pixel_td3", preset["pixel_td3"]
        vae_warm_up = {"random_steps": 10_000} if name == "vae" and budget == "paper" else {}
        return "wmagents.agents.embedded_td3", {**preset["agent"], "method": name, **vae_warm_up,
                                                **quirks}

    return {(method, task): [RunSpec(agent, f"wmenvs/{task}Pixels-v0", seed,
                                     preset["steps"][task], preset["every"], preset["episodes"],
                                     overrides) for seed in range(seeds)]
            for method, name in PIXEL_METHODS.items() for task in preset["tasks"]
            for agent, overrides in [agent_and_overrides(name)]}


def verdict(dyne: list[float], other: list[float]) -> str:
    """Whether DynE-TD3's 95 % bootstrap interval lies above, below or across the other's."""
    if len(dyne) < 2 or len(other) < 2:
        return "too few seeds"
    (_, lo_d, hi_d), (_, lo_o, hi_o) = bootstrap_ci(dyne), bootstrap_ci(other)
    return "holds" if lo_d > hi_o else "reversed" if hi_d < lo_o else "not separated"


def sweep_and_report(args, store: Store, out: Path, figure: str, specs: dict, preset: dict,
                     lead: str, paper: dict, x_range: dict,
                     x_label: str) -> tuple[list[str], list[str], bool]:
    """Run ``specs``, then the table (a row per task and method: paper value, final return,
    curve mean and the verdict against ``lead``) and the curves of one figure."""
    todo = [s for group in specs.values() for s in group]
    report = sweep(args, todo, store, f"dyne-figure{figure}-{args.budget}")
    methods = list(dict.fromkeys(method for method, _ in specs))
    title = figure.replace("-release", " with the release's embeddings (spec §7)")
    lines = [f"### DynE Figure {title}, budget {args.budget}, {args.seeds} seed(s)", "",
             f"| task | env steps (paper x-range) | method | paper | final return | curve mean "
             f"| vs {lead} (curve mean) |", "| --- | ---: | --- | ---: | ---: | ---: | --- |"]
    fig, axes = new_figure(len(preset["tasks"]), 3.4, 3)
    for ax, task in zip(axes[0], preset["tasks"]):
        curves = {m: [store.curve(s.run_id) for s in specs[m, task]
                      if store.status(s.run_id) == "finished"] for m in methods}
        means = {m: [float(np.mean([p["mean_return"] for p in c])) for c in runs]
                 for m, runs in curves.items()}
        x_max = specs[methods[0], task][0].budget
        for method, runs in curves.items():
            claim = "-" if method == lead else verdict(means[lead], means[method])
            lines.append(f"| {task} | {x_max:,} ({x_range[task]:,}) "
                         f"| {method} | {paper.get((method, task), '-')} | "
                         f"{mean_interval([c[-1]['mean_return'] for c in runs])} | "
                         f"{mean_interval(means[method])} | {claim} |")
        plot_curves(ax, {m: [binned_curve(eval_curve(c), 20, x_max) for c in runs]
                         for m, runs in curves.items()}, band="ci")
        ax.axhline(RANDOM_RETURN[task], color="grey", lw=0.8, ls=":")
        ax.set(title=task, xlabel=x_label, ylabel="return")
    save(fig, out / f"dyne_figure{figure}_curves_{args.budget}.png")
    notes = [f"- 'vs {lead}': 'holds' when {lead}'s interval of the curve mean lies above the "
             "method's, 'reversed' below, else 'not separated'",
             "- ours: mean [95 % bootstrap CI] (n) over seeds; final = the last evaluation "
             f"({preset['episodes']} noiseless episodes); dotted line in the plot: the "
             "release's random-policy return"]
    notes += [f"- FAILED run {run_id} (left out): {error}"
              for run_id, error in report.failed.items()]
    notes.append(finished_line(store, todo))
    return lines, notes, not report.failed


def run_figure4(args, store: Store, out: Path) -> tuple[str, bool]:
    preset = BUDGETS[args.budget]
    folder = work_dir_for(args.db, args.work_dir) / "dyne-embeddings"
    def embedding(task):                   # --table-only: its runs' ids, not its training
        if args.table_only:
            return embedding_settings(SOURCE[task], K.get(task, 4), args.budget, folder,
                                      args.release_quirks)[0]
        return pretrained_embedding(SOURCE[task], K.get(task, 4), args.budget, folder,
                                    args.release_quirks)

    embeddings = {task: embedding(task) for task in preset["tasks"]
                  if "DynE-TD3" in preset["rows"]}
    specs = figure4_specs(args.budget, args.seeds, embeddings)
    figure = "4-release" if args.release_quirks else "4"
    lines, notes, ok = sweep_and_report(args, store, out, figure, specs, preset, "DynE-TD3", {},
                                        X_RANGE, "env steps (pretraining not counted)")
    notes.insert(0, f"- paper (§5.2, Fig. 4; no table, so no values): {CLAIM}")
    if args.release_quirks:
        notes.insert(1, "- DynE-TD3 with the release's embeddings (spec §7 items 1-3, 5: "
                        "predictor fed a constant, raw actions, decoder on whitened encoder "
                        "means, tanh outputs unmapped, 100K k-step sequences)")
    for path in sorted(p for p in set(embeddings.values()) if p.exists()):
        meta = _embedding_meta(path)
        notes.append(f"- embedding {path.name}: {meta['dataset_steps']:,} random steps of "
                     f"{meta['source']} collected in {meta['collect_seconds']:.0f} s, trained in "
                     f"{meta['train_seconds']:.0f} s on {meta['threads']} CPU thread(s) (paper: "
                     f"5-10 min on a GPU); prediction loss {meta['prediction_loss']:.3f}, "
                     f"decoder inverse error {meta['inverse_error']:.3f}, encoder means "
                     f"std {meta['z_std']:.2f}")
    return "\n".join(lines + [""] + notes), ok


def run_figure5(args, store: Store, out: Path) -> tuple[str, bool]:
    preset = PIXEL_BUDGETS[args.budget]
    paper = {(m, t): values[PIXEL_TASKS.index(t)] for m, values in PIXEL_PAPER.items()
             for t in PIXEL_TASKS}
    figure = "5-release" if args.release_quirks else "5"
    specs = figure5_specs(args.budget, args.seeds, args.release_quirks)
    lines, notes, ok = sweep_and_report(args, store, out, figure, specs,
                                        preset, "SA-DynE-TD3", paper,
                                        PIXEL_BUDGETS["paper"]["steps"],
                                        "env steps (pretraining included)")
    pretrain = preset["agent"].get("pretrain_steps", 100_000)
    notes[:0] = [f"- paper (§5.3, Fig. 5): {PIXEL_CLAIM}; values: the release README's figure "
                 "read by eye near 3M env steps",
                 f"- each embedding run's first {pretrain:,} env steps are uniform random and "
                 "train its embedding (on the x-axis, §5.3); pixel TD3 trains its encoder "
                 "end to end after its random steps"]
    if args.release_quirks:
        notes.insert(2, "- embeddings trained as the release's (spec §7 item 4): Adam 3e-4 and "
                        "the KL sawtooth ((epoch - 1) mod 100) / 100 of its 200 (VAE 50) epochs")
    return "\n".join(lines + [""] + notes), ok


def _embedding_meta(path: Path) -> dict:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)["meta"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents.reproduce dyne",
                                     description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--figure", action="append", choices=("4", "5"),
                        help="4 (states) and/or 5 (pixels) (repeatable; default both)")
    parser.add_argument("--release-quirks", action="store_true",
                        help="embeddings built as the release built them (spec §7), to "
                             "compare with the fixed ones: Figure 4's action embeddings "
                             "(items 1-3, 5), Figure 5's pixel models (item 4)")
    parser.add_argument("--out", default="runs/dyne", help="folder for the tables and plots")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    run = {"4": run_figure4, "5": run_figure5}
    budgets = {"4": BUDGETS, "5": PIXEL_BUDGETS}

    def run_one(name, args, *rest):
        args.seeds = seeds or budgets[name][args.budget]["seeds"]
        return run[name](args, *rest)

    seeds = args.seeds
    return run_tables(args, args.figure or ("4", "5"), run_one, f"dyne_{args.budget}.md")
