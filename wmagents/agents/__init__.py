"""Reference agents, one file each; every config dataclass cites the source of its defaults."""
