"""The leaderboard page in a real browser: headless Chromium (Debian's ``chromium``, which
``.ci/run`` installs) renders the page of two agents on a two-task suite; the screenshot is
not blank, and the rendered DOM has every agent and task, the rliable plots, and every image
decoded."""

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from leaderboard import evaluate, show

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))
                 if p), None)
TASKS = ("wmenvs/GridWorld-v0", "wmenvs/DMC-cartpole-swingup-v0")


def browser(tmp_path, *flags) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
                           *flags], capture_output=True, text=True, timeout=180, check=True)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (.ci/run installs Debian's)")
def test_the_page_renders_every_agent_task_and_plot_in_chromium(tmp_path):
    suite = tmp_path / "two.json"
    suite.write_text(json.dumps({
        "name": "two", "version": 1, "description": "browser test", "seeds": 2,
        "tasks": [{"env_id": env_id, "budget": 200, "eval_every": 200, "eval_episodes": 1,
                   "score_range": rng} for env_id, rng in zip(TASKS, ([-250, 210], [0, 1000]))]}))
    db, page = str(tmp_path / "r.sqlite"), tmp_path / "page.html"
    for agent, extra in (("baselines/random", []), ("baselines/sac", ["--set", "learning_starts=50"])):
        evaluate.main(["--agent", agent, "--suite", str(suite), "--db", db, "--workers", "2",
                       *extra])
    show.main(["--db", db, "--suite", str(suite), "--page", str(page)])

    shot = tmp_path / "shot.png"
    browser(tmp_path, "--window-size=1200,2000", f"--screenshot={shot}", page.as_uri())
    pixels = np.asarray(Image.open(shot).convert("L"), float)
    assert pixels.shape == (2000, 1200) and pixels.std() > 20        # not a blank page
    dom = browser(tmp_path, "--dump-dom", page.as_uri()).stdout

    images = len(re.findall(r"<img ", page.read_text()))
    assert images == 4     # aggregate, profiles, improvement, curves
    assert f'data-plots-loaded="{images}"' in dom
    assert {"aggregate", "profiles", "improvement", "curves"} <= set(
        re.findall(r'data-plot="(\w+)"', dom))
    agents = set(map(html.unescape, re.findall(r'data-agent="([^"]+)"', dom)))
    assert agents == {"baselines.random", 'baselines.sac {"learning_starts": 50}'}
    for task in TASKS:
        assert dom.count(f'data-task="{task}"') == 2                # one row per agent
    assert dom.count("<details>") == 2                              # per-run provenance
    assert "sandboxed, Landlock" in dom or "files not restricted" in dom
