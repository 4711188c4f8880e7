"""``python -m wmagents.reproduce <paper> [options]``: rerun a paper's tables, ours beside theirs.

Each paper module (``wmagents/reproduce/<paper>.py``) declares its tables and budget presets
and exposes ``main(argv)``; it submits run specs through :mod:`wmagents.harness.runner` (so
finished runs are skipped and interrupted ones resume) and prints :func:`comparison_table`.
Budgets: ``smoke`` (seconds to minutes, CI), ``small`` (CPU hours), ``paper`` (the paper's
own budget; a GPU for pixel world models).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wmagents.harness.stats import mean_interval
from wmagents.harness.store import DEFAULT_DB, Store, work_dir_for

if TYPE_CHECKING:
    from wmagents.harness.runner import SweepReport
    from wmagents.harness.spec import RunSpec

PAPERS = {
    "planet": "wmagents.reproduce.planet",
    "parsimonious": "wmagents.reproduce.parsimonious",
    "vsg": "wmagents.reproduce.vsg",
    "alm": "wmagents.reproduce.alm",
    "dyne": "wmagents.reproduce.dyne",
}
BUDGETS = ("smoke", "small", "paper")


def add_common_arguments(parser: argparse.ArgumentParser, default_seeds: int | None = None) -> None:
    """The options every paper entry shares."""
    parser.add_argument("--budget", choices=BUDGETS, default="smoke")
    parser.add_argument("--seeds", type=int, default=default_seeds,
                        help="seeds per cell (default: the budget's)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--address", default=None, help="Ray cluster address (ray backend)")
    parser.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per run (default 1; e.g. --workers 1 --threads 2 "
                             "gives one run both cores of a 2-core machine)")
    parser.add_argument("--db", default=str(DEFAULT_DB),
                        help="SQLite results store, shared with the leaderboard "
                             "(default %(default)s; WMAGENTS_DB sets it)")
    parser.add_argument("--work-dir", default=None,
                        help="checkpoints and run folders (default: runs/ beside --db)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument("--table-only", action="store_true",
                        help="train nothing: tabulate the runs of these specs already finished "
                             "in --db (e.g. imported from a score file, or while a sweep runs)")


def check_common_arguments(parser: argparse.ArgumentParser, args) -> None:
    """Refuse values of the shared options that no run could use (one line, exit 2)."""
    if args.seeds is not None and args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")


def sweep(args, specs: list[RunSpec], store: Store, label: str) -> SweepReport:
    """Train the ``specs`` not finished in ``store`` under ``label`` with the shared options
    (:func:`wmagents.harness.runner.run_sweep`); with ``--table-only``, train nothing."""
    from wmagents.harness.runner import SweepReport, run_sweep      # imports torch

    if args.table_only:
        return SweepReport()
    return run_sweep(specs, store, work_dir_for(args.db, args.work_dir), args.backend,
                     args.workers, args.address, args.device, label, args.threads)


def finished_line(store: Store, specs: list[RunSpec]) -> str:
    """The report line that says how many of ``specs`` are finished (and so tabulated)."""
    done = sum(store.status(s.run_id) == "finished" for s in specs)
    return f"- {done} of {len(specs)} runs finished and tabulated"


def run_tables(args, names, run_one, path) -> int:
    """``run_one(name, args, store, out) -> (text, ok)`` for each table or figure in ``names``
    against one store, each printed as it finishes; all of them written to ``path`` (in
    ``args.out``). Exit code 0 when every run finished."""
    from pathlib import Path

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    texts, ok = [], True
    with Store(args.db) as store:
        for name in names:
            text, table_ok = run_one(name, args, store, out)
            texts.append(text)
            ok &= table_ok
            print(text + "\n", flush=True)
    (out / path).write_text("\n\n".join(texts) + "\n")
    return 0 if ok else 1


@dataclass
class Cell:
    """One table cell: the paper's number (or a word about it) and our per-seed values."""

    paper: float | str | None
    ours: list[float] = field(default_factory=list)


def format_paper(value: float | str | None) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else f"{value:g}"


def comparison_table(title: str, rows: list[str], columns: list[str],
                     cells: dict[tuple[str, str], Cell]) -> str:
    """A markdown table: one row per method, each column ``paper | ours`` for one task."""
    header = "| method | " + " | ".join(f"{c} (paper) | {c} (ours)" for c in columns) + " |"
    rule = "| --- |" + " ---: | ---: |" * len(columns)
    lines = [f"### {title}", "", header, rule]
    for row in rows:
        parts = []
        for column in columns:
            cell = cells.get((row, column), Cell(None))
            parts += [format_paper(cell.paper), mean_interval(cell.ours)]
        lines.append(f"| {row} | " + " | ".join(parts) + " |")
    return "\n".join(lines)
