"""Where a result came from: package version, git commit, library versions, machine."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from functools import cache
from pathlib import Path


@cache
def git_sha() -> str | None:
    """Commit of the source tree (``+dirty`` when it has uncommitted changes), or None."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("+dirty" if dirty.strip() else "")


def provenance(device: str) -> dict:
    import torch

    return {"package_version": importlib.metadata.version("wmenvs"), "git_sha": git_sha(),
            "torch": torch.__version__, "gymnasium": importlib.metadata.version("gymnasium"),
            "python": platform.python_version(), "host": platform.node(), "device": device}
