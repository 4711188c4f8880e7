"""The one table of IDs, its CLI, and the package's import-time promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import wmenvs
from wmenvs.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_every_row_is_registered_once_with_its_spec():
    ids = [entry.id for entry in wmenvs.ENV_TABLE]
    assert len(ids) == len(set(ids))
    for entry in wmenvs.ENV_TABLE:
        spec = gym.spec(entry.id)
        assert spec.entry_point == entry.entry_point
        assert spec.max_episode_steps == entry.max_episode_steps
        assert spec.kwargs == dict(entry.kwargs)
        assert entry.id.startswith("wmenvs/") and entry.tags and entry.summary


def test_list_envs_filters_by_tag():
    assert len(wmenvs.list_envs()) == len(wmenvs.ENV_TABLE)
    pixels = wmenvs.list_envs("pixels")
    assert pixels and all("pixels" in e.tags for e in pixels)
    assert wmenvs.list_envs("no-such-tag") == []


def test_unknown_id_names_close_matches():
    with pytest.raises(KeyError, match="ShapeHerd-v0"):
        wmenvs.get_entry("wmenvs/ShapeHerd-v9")


def test_register_all_is_idempotent():
    before = len(gym.registry)
    wmenvs.register_all()
    assert len(gym.registry) == before


def test_cli_list_prints_the_table(capsys):
    assert main(["list", "--tag", "shapeherd"]) == 0
    out = capsys.readouterr().out
    assert "wmenvs/ShapeHerd-v0" in out and "wmenvs/ShapeHerdBBS-d4-s1.6-v0" in out


@pytest.mark.slow
def test_cli_demo_writes_a_gif(tmp_path):
    out = tmp_path / "demo.gif"
    result = subprocess.run(
        [sys.executable, "-m", "wmenvs", "demo", "wmenvs/ShapeHerdSparse-v0", "--seed", "1", "--out", str(out)],
        capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "objects_scored=" in result.stdout
    import imageio.v3 as iio

    frames = iio.imread(out, index=None)
    assert frames.ndim == 4 and frames.shape[0] > 10 and frames.shape[-1] in (3, 4)


def test_wmenvs_never_imports_torch_or_wmagents():
    offenders = [str(p) for p in (ROOT / "wmenvs").rglob("*.py")
                 if any(line.strip().startswith(("import torch", "from torch", "import wmagents", "from wmagents"))
                        for line in p.read_text().splitlines())]
    assert offenders == []
