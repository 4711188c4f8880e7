"""``--table-only`` (every paper entry): train nothing, tabulate what the store holds."""

import re
from pathlib import Path

import pytest

from wmagents.harness.archive import import_runs, read_records
from wmagents.harness.stats import mean_interval
from wmagents.harness.store import Store
from wmagents.reproduce.__main__ import main as dispatch

SCORES = Path(__file__).resolve().parents[1] / "docs" / "results"


def arguments(tmp_path, paper, *extra):
    return [paper, "--table-only", "--db", str(tmp_path / "db.sqlite"),
            "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "out"), *extra]


@pytest.mark.parametrize("paper, extra", [
    ("planet", ["--rows", "oracle", "--tasks", "cartpole-swingup"]),
    ("parsimonious", ["--figure", "4"]),
    ("vsg", ["--table", "dmc"]),
    ("alm", []),
    ("dyne", ["--figure", "4"]),                     # its embedding is not trained either
])
def test_an_empty_store_gives_empty_tables_and_nothing_is_trained(tmp_path, capsys, paper, extra):
    assert dispatch(arguments(tmp_path, paper, "--budget", "smoke", *extra)) == 0
    out = capsys.readouterr().out
    counts = re.findall(r"- (\d+) of (\d+) runs finished and tabulated", out)
    assert counts and all(done == "0" and int(total) > 0 for done, total in counts)
    assert not any((tmp_path / "work").rglob("*"))   # no run folder, checkpoint or embedding
    if paper == "alm":
        assert "ALM runtime: not measured (--table-only" in out


def test_a_score_file_is_tabulated_as_it_was_measured(tmp_path, capsys):
    """The ALM Table 1 score file: every run in it is counted, and a cell is the mean [CI]
    of its runs' last evaluations."""
    path = SCORES / "alm-table1-small.jsonl"
    with Store(tmp_path / "db.sqlite") as store:
        import_runs(store, path)
    records = read_records(path)
    assert dispatch(arguments(tmp_path, "alm", "--budget", "small", "--table", "table1")) == 0
    out = capsys.readouterr().out
    assert f"- {len(records)} of 12 runs finished and tabulated" in out
    sac = [r["eval_points"][-1]["mean_return"] for r in records
           if r["spec"]["agent"] == "wmagents.agents.sac"
           and r["spec"]["env_id"] == "wmenvs/HalfCheetah-v0"]
    assert len(sac) == 2
    row = next(line for line in out.splitlines() if line.startswith("| SAC |"))
    assert mean_interval(sac) in row
    assert not any((tmp_path / "work").rglob("*"))


@pytest.mark.parametrize("paper", ["planet", "parsimonious", "vsg", "alm", "dyne"])
def test_zero_threads_per_run_is_refused_by_every_entry(tmp_path, capsys, paper):
    with pytest.raises(SystemExit) as exit_info:
        dispatch(arguments(tmp_path, paper, "--threads", "0"))
    assert exit_info.value.code == 2
    assert "--threads must be >= 1, got 0" in capsys.readouterr().err
