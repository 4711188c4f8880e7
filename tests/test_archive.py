"""Score files: a finished run exported on one machine is skipped by the same sweep on another
store; a changed spec or a damaged line is refused before anything is written."""

import json

import pytest

from wmagents.__main__ import main
from wmagents.harness.archive import export_runs, import_runs
from wmagents.harness.runner import run_sweep
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store, StoreError

FINISHED = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 0, 250, 250, 2)
UNFINISHED = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 1, 250, 250, 2)


@pytest.fixture
def score_file(tmp_path):
    """A store with one finished run (filed under two labels) and one only submitted, and the
    score file exported from it."""
    with Store(tmp_path / "a.sqlite") as store:
        run_sweep([FINISHED], store, tmp_path / "runs-a", workers=1, device="cpu", label="one")
        store.submit([FINISHED, UNFINISHED], "two")
        assert export_runs(store, tmp_path / "scores.jsonl") == 1
    return tmp_path / "scores.jsonl"


def test_an_imported_run_is_the_same_run_and_the_sweep_skips_it(score_file, tmp_path):
    with Store(tmp_path / "a.sqlite") as store:
        original, curve = store.runs()[0], store.curve(FINISHED.run_id)
        episodes = store.train_returns(FINISHED.run_id)
    with Store(tmp_path / "b.sqlite") as store:
        assert import_runs(store, score_file) == (1, 0)
        (run,) = store.runs(label="two")
        assert store.runs(label="one") == [run]
        assert store.curve(FINISHED.run_id) == curve and len(curve) == 2
        assert store.train_returns(FINISHED.run_id) == episodes and len(episodes) == 1
        for column in ("spec_json", "final_return", "finished_at", "wall_time_s", "git_sha",
                       "agent_config_json", "env_spec_json"):
            assert run[column] == original[column], column
        assert json.loads(run["provenance_json"]) == {
            **json.loads(original["provenance_json"]), "imported_from": "scores.jsonl"}
        report = run_sweep([FINISHED], store, tmp_path / "runs-b", workers=1, device="cpu")
        assert [s.run_id for s in report.skipped] == [FINISHED.run_id] and not report.finished
        assert not (tmp_path / "runs-b" / FINISHED.run_id).exists()
        assert import_runs(store, score_file) == (0, 1)   # already finished: left as it is


def test_a_changed_spec_or_a_damaged_line_imports_nothing(score_file, tmp_path):
    (record,) = [json.loads(line) for line in score_file.read_text().splitlines()]
    cheat = {**record, "spec": {**record["spec"], "budget": 1_000_000}}
    cases = {"hashes to": cheat, "missing eval_points": {k: v for k, v in record.items()
                                                        if k != "eval_points"}}
    for message, bad in cases.items():
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps(record) + "\n" + json.dumps(bad) + "\n")
        with Store(tmp_path / "c.sqlite") as store:
            with pytest.raises(StoreError, match=f"bad.jsonl, line 2: .*{message}"):
                import_runs(store, path)
            assert store.runs(status=None) == []      # the good first line was not added
    path.write_text(score_file.read_text()[:-20])
    with Store(tmp_path / "c.sqlite") as store, pytest.raises(StoreError, match="line 1: not JSON"):
        import_runs(store, path)


def test_the_command_line_exports_by_label_and_names_what_is_missing(score_file, tmp_path,
                                                                      capsys):
    db, out = str(tmp_path / "a.sqlite"), str(tmp_path / "one.jsonl")
    assert main(["export", "--db", db, "--label", "one", "--out", out]) == 0
    assert (tmp_path / "one.jsonl").read_text() == score_file.read_text()
    assert main(["export", "--db", db, "--label", "nothing", "--out", out]) == 2
    error = capsys.readouterr().err
    assert "no finished runs" in error and "under nothing" in error and "runs: one, two" in error
    assert main(["import", out, "--db", str(tmp_path / "d.sqlite")]) == 0
    assert "1 runs added" in capsys.readouterr().out
