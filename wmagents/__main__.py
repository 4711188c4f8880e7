"""Command line: ``python -m wmagents list`` prints the agent table (``wmagents.agents``);
``export`` and ``import`` write and merge score files of finished runs
(:mod:`wmagents.harness.archive`)."""

from __future__ import annotations

import argparse
import sys

from wmagents.harness.store import DEFAULT_DB, StoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print every agent and planner with its paper and spaces")
    export = sub.add_parser("export", help="write a store's finished runs to a score file")
    export.add_argument("--db", default=str(DEFAULT_DB), help="results store (default %(default)s)")
    export.add_argument("--label", action="append",
                        help="only runs filed under this label (repeatable; default all)")
    export.add_argument("--out", required=True, help="score file to write (JSON lines)")
    merge = sub.add_parser("import", help="add a score file's runs to a store")
    merge.add_argument("files", nargs="+", help="score files written by export")
    merge.add_argument("--db", default=str(DEFAULT_DB), help="results store (default %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "list":
        from wmagents.agents import format_agent_table

        print(format_agent_table())
        return 0
    from wmagents.harness.archive import export_runs, import_runs
    from wmagents.harness.store import Store

    try:
        with Store(args.db) as store:
            if args.command == "export":
                print(f"{export_runs(store, args.out, args.label)} finished runs of {args.db} "
                      f"written to {args.out}")
                return 0
            for path in args.files:
                added, kept = import_runs(store, path)
                print(f"{path}: {added} runs added to {args.db}, {kept} already finished there")
    except (StoreError, OSError) as error:
        print(f"python -m wmagents {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
