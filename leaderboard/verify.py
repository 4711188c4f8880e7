"""Rerun runs of a submission bundle (``python -m leaderboard.export``) and say, per run,
whether the rerun matches what the bundle claims.

    python -m leaderboard.verify BUNDLE [--runs K] [--run-id ID ...] [--pick-seed S]
        [--tolerance T] [--workers N] [--work-dir DIR]

Each chosen run is trained again from its spec, from scratch, into a fresh store, with the
local adapter (its files must hash as in the bundle). Verdicts:

* ``identical``: every evaluation episode's return equals the bundle's, bit for bit. This is
  required when the rerun's machine and build match the run's provenance (same CPU model,
  device, package, git commit, torch, numpy, gymnasium and Python versions). Torch results
  are bit-identical on one machine and build, not across CPU types.
* ``within tolerance``: another machine or build, and the final score is within
  ``--tolerance`` (default 0.1) of the task's score-range width (or of max(|score|, 1) where
  the suite has no range).
* ``DIFFERS``: anything else. The exit code is 1 when any run differs.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from leaderboard.export import adapter_files, digest
from leaderboard.suites import suite_from_dict
from wmagents.harness.runner import run_sweep
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store

BUILD_KEYS = ("cpu", "device", "package_version", "git_sha", "torch", "numpy", "gymnasium",
              "python")


def build_differences(claimed: dict, rerun: dict) -> list[str]:
    """The provenance keys in which the two runs' machines and builds differ."""
    return [k for k in BUILD_KEYS if claimed.get(k) != rerun.get(k)]


def verdict(claimed: list[dict], rerun: list[dict], same_build: bool, tolerance: float,
            width: float | None) -> tuple[str, float]:
    """``(verdict, |final difference|)`` of a rerun's curve against the bundle's."""
    final = abs(claimed[-1]["mean_return"] - rerun[-1]["mean_return"])
    if [(p["step"], p["returns"]) for p in claimed] == [(p["step"], p["returns"]) for p in rerun]:
        return "identical", final
    scale = width if width else max(abs(claimed[-1]["mean_return"]), 1.0)
    if not same_build and final <= tolerance * scale:
        return "within tolerance", final
    return "DIFFERS", final


def check_agent(manifest: dict) -> None:
    local = {name: digest(path) for name, path in adapter_files(manifest["agent"]).items()}
    changed = sorted(set(local.items()) ^ set(manifest["agent_files"].items()))
    if changed:
        names = sorted({name for name, _ in changed})
        raise SystemExit(f"python -m leaderboard.verify: the local adapter {manifest['agent']} "
                         f"is not the bundle's (files that differ: {names}); check out the "
                         "submitted code first")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaderboard.verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--runs", type=int, default=1, help="how many runs to rerun (default 1)")
    parser.add_argument("--run-id", nargs="*", default=[], help="these runs instead")
    parser.add_argument("--pick-seed", type=int, default=0, help="seed of the random choice")
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, help="keep the reruns here (default: a "
                                                      "temporary folder)")
    args = parser.parse_args(argv)
    try:
        manifest = json.loads((args.bundle / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"python -m leaderboard.verify: {args.bundle} is not a bundle "
                         f"({error})") from None
    check_agent(manifest)
    suite = suite_from_dict(manifest["suite"])
    unknown = sorted(set(args.run_id) - set(manifest["run_ids"]))
    if unknown:
        raise SystemExit(f"python -m leaderboard.verify: runs {unknown} are not in the bundle")
    chosen = args.run_id or random.Random(args.pick_seed).sample(
        manifest["run_ids"], min(args.runs, len(manifest["run_ids"])))
    records = {i: json.loads((args.bundle / "runs" / f"{i}.json").read_text()) for i in chosen}
    with tempfile.TemporaryDirectory(prefix="verify-") as scratch:
        work = args.work_dir or Path(scratch)
        with Store(work / "verify.sqlite") as store:
            specs = [RunSpec(**records[i]["spec"]) for i in chosen]
            report = run_sweep(specs, store, work / "runs", workers=args.workers,
                               label=f"verify-{suite.label}")
            rerun_provenance = {r["run_id"]: json.loads(r["provenance_json"]) for r in store.runs()}
            lines = ["| run | env | seed | bundle final | rerun final | machine and build | "
                     "verdict |", "| --- | --- | --- | ---: | ---: | --- | --- |"]
            failed = 0
            for spec in specs:
                record = records[spec.run_id]
                if spec.run_id in report.failed:
                    lines.append(f"| {spec.run_id} | {spec.env_id} | {spec.seed} | "
                                 f"{record['final_return']:.2f} | failed: "
                                 f"{report.failed[spec.run_id]} | | DIFFERS |")
                    failed += 1
                    continue
                differences = build_differences(record["provenance"],
                                                rerun_provenance[spec.run_id])
                task = suite.task(spec.env_id)
                width = (task.score_range[1] - task.score_range[0]) if task.score_range else None
                rerun_curve = store.curve(spec.run_id)
                word, _ = verdict(record["curve"], rerun_curve, not differences, args.tolerance,
                                  width)
                failed += word == "DIFFERS"
                rerun = rerun_curve[-1]["mean_return"]
                lines.append(f"| {spec.run_id} | {spec.env_id} | {spec.seed} | "
                             f"{record['final_return']:.2f} | {rerun:.2f} | "
                             f"{'same' if not differences else 'differs: ' + ', '.join(differences)}"
                             f" | {word} |")
    print(f"### Verification of {args.bundle} ({manifest['agent']} on {suite.label}): "
          f"{len(chosen)} of {len(manifest['run_ids'])} runs rerun\n")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
