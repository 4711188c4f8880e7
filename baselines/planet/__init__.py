"""Baseline adapter: PlaNet (Hafner et al. 2019) with the paper's defaults; run it on the
``wmenvs/PlaNet-*`` IDs, which carry PlaNet's action repeats."""

from wmagents.agents.planet import make_agent

__all__ = ["make_agent"]
