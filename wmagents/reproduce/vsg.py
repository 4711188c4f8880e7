"""VSG (Jain et al. 2022, "Learning Robust Dynamics through Variational Sparse Gating"): the
ShapeHerd (BBS) and DMC tables of its score files, ours beside theirs.

``python -m wmagents.reproduce vsg [--table shapeherd|dmc] [--budget smoke|small|paper]
[--seeds N] [--backend local|ray]``

* **shapeherd**: ``vsg_dreamerv2_bbs``, ``vsg_bbs``, ``svsg_bbs`` (:mod:`wmagents.agents.vsg`)
  on the ``wmenvs/ShapeHerdBBS-d*-s*-v0`` IDs (the released BBS code's variants: sparse reward,
  frame skip 4, 750 decisions). Score = objects per evaluation episode; the paper's values at
  1M env steps (250K decisions); reference rows, the IDs' scripted expert and uniform random
  actions on the same evaluation episodes.
* **dmc**: Hafner's DreamerV1 (``dreamer``, ``preset=dreamerv1``) and ``vsg_dreamerv2``,
  ``vsg``, ``svsg`` on ``wmenvs/Dreamer-<domain>-<task>-v0`` (64x64, action repeat 2; a
  reference row of uniform random actions). Runs go
  to 1M env steps, scored at 500K and at 1M (two tables) = mean of the evaluations in the 50K
  window ending there (one episode, actor mode, every 10K); the paper's 500K DreamerV1 column is the author metrics of
  DreamerV1's own score file, the others VSG's ``dmc.jsonl`` (mean +- std over seeds).

Budgets: ``paper`` (5 seeds, the papers' settings and lengths: a GPU), ``small`` (about 45
minutes of one Xeon core per run; on a 2-core AMD EPYC two runs side by side took 75-78
minutes each on ShapeHerd and 96 on DMC (15-20 env steps/s), one DMC run alone on both
cores, ``--workers 1 --threads 2``, 63 (26 env steps/s); 2 seeds: cartpole-swingup and
walker-walk to 100K env steps, scored at 50K and 100K, BBS d0-s1.0 to 200K env steps; cnn
depth 16, 8 x 32 chunks, DIM 200 = VSG's config default instead of 1024, a quarter of each
preset's updates per decision, e.g. one per 20 instead of 5), ``smoke`` (CI: tiny networks, 2K env steps, one task each).
Only ``paper`` is a reproduction; the others check the plumbing and the trend. ``--method``
trains and tabulates some rows only (e.g. ``--method DreamerV2 --method VSG``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wmagents.harness import plots
from wmagents.harness.loop import evaluate_demo, evaluate_random
from wmagents.harness.plots import eval_curve, new_figure, save
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store
from wmagents.reproduce import (Cell, add_common_arguments, check_common_arguments,
                                comparison_table, finished_line, run_tables, sweep)

DREAMER, VSG = "wmagents.agents.dreamer", "wmagents.agents.vsg"
# method -> (agent module, preset)
DMC_ROWS = {"DreamerV1": (DREAMER, "dreamerv1"), "DreamerV2": (VSG, "vsg_dreamerv2"),
            "VSG": (VSG, "vsg"), "SVSG": (VSG, "svsg")}
BBS_ROWS = {"DreamerV2": (VSG, "vsg_dreamerv2_bbs"), "VSG(C)": (VSG, "vsg_bbs"),
            "SVSG": (VSG, "svsg_bbs")}
DMC_TASKS = ("cartpole-swingup", "cheetah-run", "finger-spin", "finger-turn_hard", "hopper-stand",
             "pendulum-swingup", "quadruped-run", "quadruped-walk", "reacher-easy",
             "reacher-hard", "walker-run", "walker-walk")
# VSG's scores/dmc.jsonl at 500K and 1M env steps (DreamerV1 at 500K: DreamerV1's
# scores/dreamer.json at 505K); spec §8
DMC_PAPER = {500_000: {
    "DreamerV1": ("678+-271", "630+-40", "339+-61", "240+-137", "610+-191", "789+-64",
                  "201+-90", "223+-80", "430+-206", "95+-65", "463+-92", "886+-31"),
    "DreamerV2": ("829+-27", "672+-72", "553+-203", "392+-185", "872+-37", "808+-20",
                  "349+-43", "341+-36", "920+-80", "164+-79", "678+-33", "940+-13"),
    "VSG": ("787+-72", "598+-116", "662+-162", "361+-166", "905+-19", "815+-52", "452+-37",
            "614+-88", "852+-79", "95+-101", "642+-66", "918+-71"),
    "SVSG": ("472+-210", "485+-60", "561+-192", "409+-92", "839+-59", "855+-28", "440+-12",
             "458+-36", "884+-103", "232+-130", "601+-126", "948+-7"),
}, 1_000_000: {
    "DreamerV1": ("853+-9", "714+-31", "542+-225", "651+-149", "896+-6", "823+-14", "600+-149",
                  "401+-47", "618+-54", "143+-89", "713+-42", "952+-8"),
    "DreamerV2": ("838+-38", "783+-41", "555+-178", "911+-98", "930+-6", "862+-36", "524+-155",
                  "651+-115", "976+-7", "437+-224", "779+-22", "963+-11"),
    "VSG": ("833+-33", "648+-125", "666+-174", "856+-136", "929+-9", "797+-23", "585+-59",
            "903+-36", "931+-71", "401+-149", "747+-11", "952+-17"),
    "SVSG": ("568+-254", "595+-68", "637+-272", "840+-101", "833+-154", "760+-71", "551+-23",
             "856+-56", "963+-8", "582+-97", "725+-12", "962+-2"),
}}
BBS_VARIANTS = tuple(f"d{d}-s{s}" for d in (0, 1, 2, 4) for s in ("1.0", "1.2", "1.4", "1.6"))
# VSG's scores/bbs.jsonl at 1M env steps, objects per episode (sparse reward)
BBS_PAPER = {1_000_000: {
    "DreamerV2": ("1.48+-0.53", "0.90+-0.32", "0.75+-0.11", "0.54+-0.19", "1.86+-0.69",
                  "1.15+-0.19", "0.54+-0.24", "0.63+-0.19", "1.57+-0.22", "0.88+-0.27",
                  "0.90+-0.14", "0.48+-0.16", "1.34+-0.40", "0.96+-0.19", "0.58+-0.19",
                  "0.61+-0.14"),
    "VSG(C)": ("2.59+-0.66", "1.85+-0.47", "0.87+-0.32", "0.73+-0.16", "1.89+-0.77",
               "1.92+-0.36", "0.82+-0.44", "0.62+-0.33", "2.03+-0.43", "1.08+-0.30",
               "1.10+-0.23", "0.65+-0.23", "1.58+-0.18", "1.15+-0.53", "0.63+-0.19",
               "0.67+-0.09"),
    "SVSG": ("2.50+-0.37", "1.24+-0.22", "0.86+-0.21", "0.65+-0.34", "2.83+-0.51",
             "1.36+-0.31", "0.93+-0.35", "0.69+-0.10", "2.72+-0.36", "1.30+-0.38",
             "0.69+-0.10", "0.46+-0.08", "1.82+-0.49", "1.34+-0.21", "1.16+-0.39",
             "0.46+-0.19"),
}}
TINY = {"deter": 32, "hidden": 32, "stoch": 4, "classes": 4, "cnn_depth": 8, "head_units": 32,
        "batch_size": 4, "chunk_length": 16, "horizon": 5, "prefill": 100, "pretrain": 2}
# per table (spec §11.6): the paper's numbers, evaluation every / episodes, the window that
# averages the evaluations ending at each score point (the loop counts env steps: both kinds
# of ID report info["env_steps"])
PROTOCOL = {"dmc": {"paper": DMC_PAPER, "every": 10_000, "episodes": 1, "window": 50_000},
            "shapeherd": {"paper": BBS_PAPER, "every": 50_000, "episodes": 10,
                          "window": 100_000}}
EXPERT = "scripted expert"   # the ShapeHerd table's reference row: the IDs' demo policy
RANDOM = "uniform random"    # both tables' reference row: uniform random actions
# fraction = run length / the paper's last score point, per table
BUDGETS = {
    "paper": {"seeds": 5, "fraction": {"dmc": 1.0, "shapeherd": 1.0}, "overrides": {},
              "tasks": None, "variants": None},
    "small": {"seeds": 2, "fraction": {"dmc": 0.1, "shapeherd": 0.2},
              "overrides": {"cnn_depth": 16, "batch_size": 8, "chunk_length": 32, "deter": 200,
                            "hidden": 200},
              "updates": 0.25, "tasks": ("cartpole-swingup", "walker-walk"),
              "variants": ("d0-s1.0",)},
    "smoke": {"seeds": 1, "fraction": {"dmc": 0.002, "shapeherd": 0.004}, "overrides": TINY, "tasks": ("cartpole-swingup",),
              "variants": ("d0-s1.0",)},
}


def _overrides(agent: str, preset: str, budget: str) -> dict:
    overrides = {**BUDGETS[budget]["overrides"], "preset": preset}
    if "updates" in BUDGETS[budget]:
        overrides.update(_fewer_updates(agent, preset, BUDGETS[budget]["updates"]))
    if budget == "smoke" and ("svsg" in preset or "dreamerv1" in preset):
        overrides["classes"] = 0               # Gaussian presets keep Gaussian latents
    if budget != "paper" and "svsg" in preset:
        overrides["stoch"] = overrides["deter"]   # SVSG's state is DIM Gaussian dims
    return overrides


def _fewer_updates(agent: str, preset: str, fraction: float) -> dict:
    """The preset's update schedule with ``fraction`` of its updates per decision: fewer
    updates per burst where it trains in bursts (DreamerV1: 100 every 500), else a longer
    ``train_every`` (5 -> 20 at 0.25)."""
    import importlib

    from wmagents.agents.dreamer import preset_config

    module = importlib.import_module(agent)
    config_class = module.VSGConfig if agent == VSG else module.DreamerConfig
    config = preset_config(config_class, module.PRESETS, {"preset": preset})
    if config.train_steps > 1:
        return {"train_steps": max(1, round(config.train_steps * fraction))}
    return {"train_every": round(config.train_every / fraction)}


def table_specs(table: str, budget: str, seeds: int, methods: list[str] | None = None
                ) -> dict[tuple[str, str], list[RunSpec]]:
    """``{(method, column): run specs}`` of one table at one budget (``methods``: these rows
    only; default all)."""
    from wmenvs.registration import dreamer_id, shapeherd_variant_id

    preset, protocol = BUDGETS[budget], PROTOCOL[table]
    if table == "dmc":
        rows, columns = DMC_ROWS, preset["tasks"] or DMC_TASKS
        env_of = {task: dreamer_id(*task.split("-")) for task in columns}
    else:
        rows, columns = BBS_ROWS, preset["variants"] or BBS_VARIANTS
        env_of = {v: shapeherd_variant_id(int(v[1]), float(v.split("-s")[1])) for v in columns}
    steps = score_points(table, budget)[-1]
    every = max(1, min(protocol["every"], steps))
    episodes = protocol["episodes"] if budget == "paper" else 1
    return {(method, column): [RunSpec(agent, env_of[column], seed, steps, every, episodes,
                                       _overrides(agent, name, budget))
                               for seed in range(seeds)]
            for method, (agent, name) in rows.items() if method in (methods or rows)
            for column in columns}


def score_points(table: str, budget: str) -> list[int]:
    """The env steps at which ``table`` is scored at ``budget`` (the paper's points, scaled)."""
    fraction = BUDGETS[budget]["fraction"][table]
    return [int(point * fraction) for point in PROTOCOL[table]["paper"]]


def windowed_score(curve: list[dict], window: int, end: int | None = None) -> float:
    """Mean of the evaluations in the ``window`` steps ending at ``end`` (default: the last
    evaluation); the last evaluation up to ``end`` when none falls in the window."""
    end = curve[-1]["step"] if end is None else end
    upto = [p for p in curve if p["step"] <= end] or curve[:1]
    points = [p["mean_return"] for p in upto if p["step"] > end - window] or \
        [upto[-1]["mean_return"]]
    return sum(points) / len(points)


def reference_scores(row: str, specs: list[RunSpec]) -> list[float]:
    """Per run seed: a reference row's policy on that run's evaluation episodes, ``EXPERT``
    the ID's scripted demo policy, ``RANDOM`` uniform random actions."""
    import gymnasium as gym

    env = gym.make(specs[0].env_id)
    if row == EXPERT:
        scores = [evaluate_demo(env, spec.seed, spec.eval_episodes) for spec in specs]
    else:
        scores = evaluate_random(env, [spec.seed for spec in specs], specs[0].eval_episodes)
    env.close()
    return scores


def run_table(table: str, args, store: Store, out: Path) -> tuple[str, bool]:
    specs = table_specs(table, args.budget, args.seeds, table_methods(table, args.method))
    protocol = PROTOCOL[table]
    all_columns = DMC_TASKS if table == "dmc" else BBS_VARIANTS
    columns = list(dict.fromkeys(column for _, column in specs))
    todo = [s for group in specs.values() for s in group]
    report = sweep(args, todo, store, f"vsg-{table}-{args.budget}")
    curves, runs = {}, {}
    for (method, column), group in specs.items():
        runs[method, column] = [store.curve(s.run_id) for s in group
                                if store.status(s.run_id) == "finished"]
        curves.setdefault(column, {})[method] = [eval_curve(c) for c in runs[method, column]]
    methods = list(dict.fromkeys(method for method, _ in specs))
    references = [EXPERT, RANDOM] if table == "shapeherd" else [RANDOM]
    reference_cells = {(row, column): Cell(None, reference_scores(row, specs[methods[0], column]))
                       for row in references for column in columns}
    rows = methods + references
    texts = []
    for (paper_step, paper), ours_step in zip(protocol["paper"].items(),
                                              score_points(table, args.budget)):
        cells = {(method, column): Cell(paper[method][all_columns.index(column)],
                                        [windowed_score(c, protocol["window"], ours_step)
                                         for c in runs[method, column]])
                 for method, column in specs}
        cells.update(reference_cells)
        title = (f"VSG {table} table at {paper_step:,} env steps "
                 f"(budget {args.budget}: ours at {ours_step:,})")
        texts.append(comparison_table(title, rows, columns, cells))
    notes = [f"- ours: mean [95 % bootstrap CI] (n) over seeds of the mean evaluation return "
             f"in the {protocol['window']:,} env steps ending at the score point; "
             f"{args.seeds} seed(s)"]
    notes.append(f"- {RANDOM}: uniform random actions on each run seed's evaluation episodes")
    if table == "shapeherd":
        notes.append(f"- {EXPERT}: the IDs' demo policy (wmenvs.shapeherd.scripted, privileged "
                     f"state from info) on each run seed's evaluation episodes; not a learner")
        notes.append("- physics differences to the released BBS code (docs/shapeherd.md): force at "
                     "the centre of mass (BBS's point spun the agent), objects score by centroid "
                     "(BBS: body origin), the goal-column bounce after the physics step; agent "
                     "elasticity 0 as in BBS")
    notes += [f"- FAILED run {run_id} (left out): {error}" for run_id, error in report.failed.items()]
    notes.append(finished_line(store, todo))
    fig, axes = new_figure(len(curves), 3.2, 3)
    for ax, (column, by_method) in zip(axes[0], curves.items()):
        plots.plot_curves(ax, by_method)
        ax.set(title=column, xlabel="env steps", ylabel="evaluation return")
    save(fig, out / f"vsg_{table}_curves_{args.budget}.png")
    return "\n\n".join(texts) + "\n\n" + "\n".join(notes), not report.failed


def table_methods(table: str, methods: list[str] | None) -> list[str] | None:
    """The rows of ``table`` among ``methods`` (None: all); ValueError when none is."""
    if methods is None:
        return None
    rows = DMC_ROWS if table == "dmc" else BBS_ROWS
    chosen = [method for method in methods if method in rows]
    if not chosen:
        raise ValueError(f"--method {' '.join(methods)} names no row of the {table} table "
                         f"(rows: {', '.join(rows)})")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents.reproduce vsg",
                                     description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--table", action="append", choices=("shapeherd", "dmc"),
                        help="shapeherd and/or dmc (repeatable; default both)")
    parser.add_argument("--method", action="append", choices=list({**DMC_ROWS, **BBS_ROWS}),
                        help="train and tabulate these rows only (repeatable; default all)")
    parser.add_argument("--out", default="runs/vsg", help="folder for the tables and plots")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    args.seeds = args.seeds or BUDGETS[args.budget]["seeds"]
    for table in args.table or ("shapeherd", "dmc"):
        try:
            table_methods(table, args.method)
        except ValueError as error:
            parser.error(str(error))
    return run_tables(args, args.table or ("shapeherd", "dmc"), run_table,
                      f"vsg_{args.budget}.md")
