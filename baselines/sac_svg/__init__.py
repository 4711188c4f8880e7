"""Baseline adapter: sac_svg with the paper's defaults (see README.md)."""

from wmagents.agents.sac_svg import make_agent

__all__ = ["make_agent"]
