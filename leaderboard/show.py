"""Print the leaderboard tables from the results store and write the static page with plots;
runs of the paper reproductions (``python -m wmagents.reproduce``) in the same store are listed
too. One table per (suite, agent, overrides): runs with other ``--set`` values are never pooled.

    python -m leaderboard.show [--db PATH] [--suite NAME] [--agent baselines/sac]
        [--page PATH]   (default: leaderboard.html next to --db)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from leaderboard.page import write_page
from leaderboard.suites import load_suite
from leaderboard.table import (display_name, isolation_of, markdown, overrides_of,
                               reproduction_markdown, summarise)
from wmagents.harness.spec import canonical_agent
from wmagents.harness.store import DEFAULT_DB, Store, StoreError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leaderboard.show", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--suite", help="only this suite (name or .json file)")
    parser.add_argument("--agent", help="only this agent")
    parser.add_argument("--page", type=Path, help="HTML page to write (default: "
                        "leaderboard.html next to --db)")
    args = parser.parse_args(argv)
    agent = canonical_agent(args.agent) if args.agent else None
    only = load_suite(args.suite) if args.suite else None
    try:
        store = Store(args.db, read_only=True)
    except StoreError as error:
        raise SystemExit(f"python -m leaderboard.show: {error}") from None
    with store:
        tables, summaries = [], []
        for label in store.labels():
            name, _, version = label.partition("@v")
            runs = [r for r in store.runs(label=label) if not agent or r["agent"] == agent]
            if not version:   # the paper harness: labels without a suite version
                if runs and not only:
                    tables.append(reproduction_markdown(store, label))
                continue
            if only and name != only.name:
                continue
            for run_agent, overrides, isolation in sorted(
                    {(r["agent"], overrides_of(r), isolation_of(r)) for r in runs}):
                title = f"### {label} — {display_name(run_agent, overrides, isolation)}"
                try:
                    suite = only or load_suite(name)
                except ValueError:
                    tables.append(f"{title}\n\n(suite {name!r} is not shipped; pass its file "
                                  "with --suite PATH.json)")
                    continue
                if str(suite.version) != version:
                    tables.append(f"{title}\n\n(suite {name} is now v{suite.version}; these "
                                  "runs follow an older protocol)")
                    continue
                summaries.append(summarise(store, suite, run_agent, overrides,
                                           isolation=isolation))
                tables.append(markdown(summaries[-1]))
        page, page_error = None, None
        if summaries:
            target = args.page or args.db.parent / "leaderboard.html"
            try:
                page = write_page(store, summaries, target)
            except OSError as error:    # e.g. the store sits on a read-only file system
                page_error = f"\nPage not written ({target}: {error.strerror}); pass --page PATH"
    print("\n\n".join(tables) if tables else f"no finished runs in {args.db}")
    if page:
        print(f"\nPage with plots (what this command printed): {page}")
    if page_error:
        print(page_error)


if __name__ == "__main__":
    main()
