"""Dispatch ``python -m wmagents.reproduce <paper> ...`` to the paper's module."""

from __future__ import annotations

import importlib
import sys

from wmagents.reproduce import PAPERS


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\npapers: " + ", ".join(PAPERS)
              + "\nusage: python -m wmagents.reproduce <paper> [--budget smoke|small|paper] [--seeds N] "
                "[--backend local|ray]  (python -m wmagents.reproduce <paper> --help for the rest)")
        return 0 if argv else 2
    paper, rest = argv[0], argv[1:]
    if paper not in PAPERS:
        print(f"unknown paper {paper!r}; choose one of {sorted(PAPERS)}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(PAPERS[paper])
    except ModuleNotFoundError as error:
        if error.name != PAPERS[paper]:
            raise
        print(f"the {paper!r} reproduction is not implemented yet ({PAPERS[paper]} missing)", file=sys.stderr)
        return 2
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
