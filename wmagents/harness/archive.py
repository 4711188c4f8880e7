"""Score files: finished runs as JSON lines, to keep beside the docs, share and merge.

    python -m wmagents export --db runs/alm/results.sqlite --label alm-table1-small \\
        --out docs/results/alm-table1-small.jsonl
    python -m wmagents import docs/results/alm-table1-small.jsonl --db runs/alm/results.sqlite

One line per finished run (:meth:`Store.export_run`): its spec, labels, curve with every
evaluation episode's return, training episodes, agent config, env spec, provenance and run
statistics — all a table or plot reads, none of the checkpoints. Lines are sorted by run id
and keys by name, so a file diffs line by line when runs are added.

Importing adds the runs that are not finished in the store; a reproduction command then
skips them as it skips its own finished runs, so a sweep of many CPU hours can be finished
over several machines (or a GPU cluster's runs merged into a laptop's store) and tabulated
as one. The file is checked whole before anything is written: every line must parse and
every run id must be the hash of its spec. Imported runs keep the training machine's
provenance plus ``imported_from``; a file is a record of results, not a proof of them —
``python -m leaderboard.verify`` reruns a submission to check its numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from wmagents.harness.store import Store, StoreError, record_spec

RECORD_KEYS = ("run_id", "spec", "labels", "eval_points", "wall_time_s", "agent_config",
               "env_spec", "provenance")


def export_runs(store: Store, path: str | os.PathLike, labels: list[str] | None = None) -> int:
    """Write the finished runs filed under any of ``labels`` (every finished run when None) to
    ``path`` (replaced atomically); returns how many. No matching run is an error."""
    runs = store.runs(status="finished") if not labels else \
        [run for label in labels for run in store.runs(label=label)]
    run_ids = sorted({run["run_id"] for run in runs})
    if not run_ids:
        have = ", ".join(store.labels()) or "none"
        raise StoreError(f"no finished runs in {store.path} under "
                         f"{', '.join(labels) if labels else 'any label'} (labels with finished "
                         f"runs: {have})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(json.dumps(store.export_run(run_id), sort_keys=True) + "\n"
                               for run_id in run_ids))
    partial.replace(path)
    return len(run_ids)


def read_records(path: str | os.PathLike) -> list[dict]:
    """The records of a score file, each checked; an error names the file and line."""
    records = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise StoreError(f"{where}: not JSON ({error})") from None
        missing = [key for key in RECORD_KEYS if key not in record] if isinstance(
            record, dict) else list(RECORD_KEYS)
        if missing:
            raise StoreError(f"{where}: not a run record (missing {', '.join(missing)})")
        try:
            record_spec(record)
        except StoreError as error:
            raise StoreError(f"{where}: {error}") from None
        if not record["eval_points"]:
            raise StoreError(f"{where}: run {record['run_id']} has no evaluation points")
        records.append(record)
    return records


def import_runs(store: Store, path: str | os.PathLike) -> tuple[int, int]:
    """Add the runs of the score file at ``path``; ``(added, already finished here)``."""
    records = read_records(path)
    added = sum(store.import_run(record, Path(path).name) for record in records)
    return added, len(records) - added
