"""Write a submission bundle: everything a reviewer needs to re-check an agent's numbers.

    python -m leaderboard.export --agent baselines/sac --suite smoke [--seeds N]
        [--set KEY=VALUE ...] [--in-process] [--db PATH] [--out DIR]

The bundle is a folder (default ``submissions/<suite>-<agent>``):

* ``manifest.json``: the suite (all of its JSON), the agent, its overrides and isolation, the
  run ids, this machine and its package versions, and the SHA-256 of every adapter file;
* ``runs/<run id>.json``: per run its spec, evaluation curve (every episode's return),
  training returns, agent config, env spec and provenance;
* ``agent/``: a copy of the adapter's source files.

``python -m leaderboard.verify DIR`` reruns runs of it and says whether they match.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import shutil
import time
from pathlib import Path

from leaderboard.evaluate import parse_overrides
from leaderboard.suites import Suite, load_suite
from wmagents.harness.provenance import provenance
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import DEFAULT_DB, Store, StoreError

BUNDLE_VERSION = 1
SOURCE_SUFFIXES = (".py", ".md", ".json", ".txt", ".toml", ".yaml")


def adapter_files(agent: str) -> dict[str, Path]:
    """``{name in the bundle: path}`` of the adapter's source files."""
    path = Path(agent)
    if not path.is_absolute():
        origin = Path(importlib.util.find_spec(agent).origin)
        path = origin.parent if origin.name == "__init__.py" else origin
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts)
    return {(p.name if path.is_file() else str(p.relative_to(path))): p for p in files}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_record(store: Store, row: dict) -> dict:
    """One run of the bundle: its ``runs`` row with its curve and training returns."""
    run_id = row["run_id"]
    return {"run_id": run_id, "spec": json.loads(row["spec_json"]), "status": row["status"],
            "final_return": row["final_return"], "curve": store.curve(run_id),
            "train_returns": store.train_returns(run_id),
            "agent_config": json.loads(row["agent_config_json"] or "null"),
            "env_spec": json.loads(row["env_spec_json"] or "null"),
            "provenance": json.loads(row["provenance_json"] or "null")}


def export(store: Store, suite: Suite, specs: list[RunSpec], out: Path) -> Path:
    """Write the bundle of ``specs`` (all of them finished in ``store``) into ``out``."""
    missing = [s.run_id for s in specs if store.status(s.run_id) != "finished"]
    if missing:
        raise ValueError(f"{len(missing)} of the {len(specs)} runs are not finished in "
                         f"{store.path} (e.g. {missing[0]}): run python -m leaderboard.evaluate "
                         "with the same arguments first")
    if out.exists():
        shutil.rmtree(out)
    (out / "runs").mkdir(parents=True)
    files = adapter_files(specs[0].agent)
    for name, path in files.items():
        (out / "agent" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out / "agent" / name)
    rows = {r["run_id"]: r for r in store.runs(status=None)}
    for spec in specs:
        (out / "runs" / f"{spec.run_id}.json").write_text(
            json.dumps(run_record(store, rows[spec.run_id]), indent=1))
    manifest = {"bundle_version": BUNDLE_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                           time.gmtime()),
                "suite": dataclasses.asdict(suite), "agent": specs[0].agent,
                "overrides": specs[0].overrides, "isolation": specs[0].isolation,
                "run_ids": [s.run_id for s in specs], "exported_on": provenance("cpu"),
                "agent_files": {name: digest(path) for name, path in files.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leaderboard.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--in-process", action="store_true",
                        help="the runs evaluate made with --in-process")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--out", type=Path, help="bundle folder (default submissions/<suite>-"
                                                 "<agent>)")
    args = parser.parse_args(argv)
    try:
        suite = load_suite(args.suite)
        specs = suite.specs(args.agent, args.seeds, parse_overrides(args.set),
                            "none" if args.in_process else "process")
        out = args.out or Path("submissions") / f"{suite.name}-{Path(args.agent).name}"
        with Store(args.db, read_only=True) as store:
            export(store, suite, specs, out)
    except (ValueError, StoreError) as error:
        raise SystemExit(f"python -m leaderboard.export: {error}") from None
    print(f"{len(specs)} runs of {specs[0].agent} on {suite.label} -> {out}")


if __name__ == "__main__":
    main()
