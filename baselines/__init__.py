"""baselines: contributed agents, one folder each (see baselines/CONTRIBUTING.md)."""
