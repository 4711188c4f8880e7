"""Command line: ``python -m wmagents list`` prints the agent table (``wmagents.agents``)."""

from __future__ import annotations

import argparse
import sys

from wmagents.agents import format_agent_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print every agent and planner with its paper and spaces")
    parser.parse_args(argv)
    print(format_agent_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
