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


@cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance(device: str) -> dict:
    import numpy
    import torch

    return {"package_version": importlib.metadata.version("wmenvs"), "git_sha": git_sha(),
            "torch": torch.__version__, "gymnasium": importlib.metadata.version("gymnasium"),
            "numpy": numpy.__version__, "python": platform.python_version(),
            "host": platform.node(), "cpu": cpu_model(), "device": device,
            "torch_threads": torch.get_num_threads()}
