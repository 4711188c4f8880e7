"""Train and evaluate an agent on a suite through the runner, then print the table.

    python -m leaderboard.evaluate --agent baselines/sac --suite smoke [--seeds N]
        [--backend local|ray] [--address HOST:PORT] [--db PATH] [--workers N]

The agent runs in its own sandboxed process (``wmagents/harness/sandbox.py``): it sees the
spaces, observations, rewards and episode flags, never the envs, the evaluation seeds or the
store. Finished runs already in the store are skipped; interrupted ones resume from their checkpoint,
so re-running the same command after a crash only does the missing work.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from leaderboard.suites import available, load_suite
from leaderboard.table import render_table
from wmagents.harness.runner import run_sweep
from wmagents.harness.store import DEFAULT_DB, Store, work_dir_for


def parse_overrides(items: list[str]) -> dict:
    """``key=value`` pairs; values parsed as JSON when possible (``hidden=[64,64]``)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leaderboard.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", required=True, help="adapter folder, e.g. baselines/sac")
    parser.add_argument("--suite", required=True, help=f"one of {available()} or a .json file")
    parser.add_argument("--seeds", type=int, help="number of seeds (default: the suite's)")
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--address", help="Ray cluster address (ray backend)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite results file")
    parser.add_argument("--work-dir", type=Path,
                        help="checkpoints and metrics (default: runs/ next to --db)")
    parser.add_argument("--workers", type=int, help="local processes (default: CPU count)")
    parser.add_argument("--device", default="auto", help="auto (CUDA if present) | cpu | cuda")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="agent config overrides (part of the run spec)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the agent in the evaluator's own process (trusted code only: "
                             "the table marks these runs; default: a sandboxed process)")
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be >= 1")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    work_dir = work_dir_for(args.db, args.work_dir)
    started = time.perf_counter()
    # a bad suite, agent or override is one line on stderr, before any run starts (the
    # runner builds each distinct agent once first: wmagents.harness.runner.preflight)
    try:
        suite = load_suite(args.suite)
        specs = suite.specs(args.agent, args.seeds, parse_overrides(args.set),
                            "none" if args.in_process else "process")
        with Store(args.db) as store:
            report = run_sweep(specs, store, work_dir, args.backend, args.workers, args.address,
                               args.device, suite.label)
            elsewhere = (f", {len(report.elsewhere)} being trained by another command "
                         "(re-run later to include them)" if report.elsewhere else "")
            print(f"\n{len(report.finished)} runs trained ({len(report.resumed)} resumed from a "
                  f"checkpoint), {len(report.skipped)} already finished{elsewhere}; "
                  f"{time.perf_counter() - started:.0f} s. Store: {args.db}\n")
            print(render_table(store, suite, specs[0].agent, specs[0].overrides,
                               [s.run_id for s in specs], specs[0].isolation))
    except ValueError as error:
        raise SystemExit(f"python -m leaderboard.evaluate: {error}") from None
    if report.failed:
        for run_id, error in report.failed.items():
            print(f"run {run_id} failed: {error}")
        raise SystemExit(f"{len(report.failed)} runs failed; re-run the command to retry them "
                         f"(logs in {work_dir})")


if __name__ == "__main__":
    main()
