"""Results store: provenance kept, writes all-or-nothing, run ids stable."""

import copy
import sqlite3

import pytest

from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store, StoreError

SPEC = RunSpec("baselines/random", "wmenvs/GridWorld-v0", seed=3, budget=100, eval_every=50,
               eval_episodes=2)


def result_for(spec: RunSpec, final: float = -7.0) -> dict:
    points = [{"step": s, "mean_return": final - 1 + s / 100, "std_return": 0.5,
               "returns": [final - 1.5 + s / 100, final - 0.5 + s / 100], "mean_length": 250.0,
               "success_rate": None} for s in (0, 50, 100)]
    return {"run_id": spec.run_id, "eval_points": points, "wall_time_s": 1.5,
            "agent_config": {"lr": 1e-3}, "env_spec": '{"id": "wmenvs/GridWorld-v0"}',
            "provenance": {"device": "cpu", "package_version": "0.1.0", "git_sha": "abc",
                           "torch": "x"}}


def test_run_ids_hash_the_whole_spec():
    assert RunSpec("baselines/random/", "wmenvs/GridWorld-v0", 3, 100, 50, 2).run_id == SPEC.run_id
    assert RunSpec("baselines.random", "wmenvs/GridWorld-v0", 3, 100, 50, 2).run_id == SPEC.run_id
    others = [RunSpec("baselines/random", "wmenvs/GridWorld-v0", 4, 100, 50, 2),
              RunSpec("baselines/random", "wmenvs/GridWorld-v0", 3, 101, 50, 2),
              RunSpec("baselines/random", "wmenvs/GridWorld-v0", 3, 100, 50, 2, {"x": 1})]
    assert len({SPEC.run_id, *(o.run_id for o in others)}) == 4
    assert RunSpec.from_json(SPEC.to_json()) == SPEC
    with pytest.raises(ValueError, match="neither an importable module"):
        RunSpec("no/such/agent", "x", 0, 1, 1, 1)


def test_record_keeps_curve_and_provenance(tmp_path):
    with Store(tmp_path / "r.sqlite") as store:
        store.submit([SPEC], label="smoke@v1")
        assert store.status(SPEC.run_id) == "running"
        store.record(result_for(SPEC))
    with Store(tmp_path / "r.sqlite") as store:   # reopened: it is on disk
        (run,) = store.runs(label="smoke@v1")
        assert run["status"] == "finished" and run["final_return"] == -7.0
        assert (run["git_sha"], run["device"], run["seed"], run["budget"]) == ("abc", "cpu", 3, 100)
        assert run["agent_config_json"] == '{"lr": 0.001}'
        assert [p["step"] for p in store.curve(SPEC.run_id)] == [0, 50, 100]
        assert store.curve(SPEC.run_id)[-1]["returns"] == [-7.5, -6.5]


def test_a_failing_record_leaves_no_torn_rows(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    store.submit([SPEC])
    broken = result_for(SPEC)
    del broken["eval_points"][2]["mean_length"]   # the third curve point cannot be written
    with pytest.raises(KeyError):
        store.record(broken)
    assert store.status(SPEC.run_id) == "running"   # the status update was rolled back
    assert store.curve(SPEC.run_id) == []   # and so were the first two points
    # the same holds for a second connection (another process) reading the file
    other = sqlite3.connect(tmp_path / "r.sqlite")
    assert other.execute("SELECT COUNT(*) FROM eval_points").fetchone()[0] == 0
    store.record(result_for(SPEC))
    assert other.execute("SELECT COUNT(*) FROM eval_points").fetchone()[0] == 3


def test_rerecording_replaces_and_unknown_runs_are_refused(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    store.submit([SPEC])
    store.record(result_for(SPEC))
    store.record(result_for(SPEC, final=3.0))
    assert len(store.curve(SPEC.run_id)) == 3 and store.runs()[0]["final_return"] == 3.0
    stranger = copy.deepcopy(result_for(SPEC))
    stranger["run_id"] = "0" * 16
    with pytest.raises(KeyError, match="never submitted"):
        store.record(stranger)
    assert len(store.runs(status=None)) == 1


def test_a_broken_store_is_named_with_what_to_do(tmp_path):
    content, advice = b"this is not a database, just text" * 40, "not a SQLite results store"
    from leaderboard import evaluate, show
    from wmagents.harness.store import StoreError

    db = tmp_path / "r.sqlite"
    db.write_bytes(content)
    with pytest.raises(StoreError, match=str(db)) as error:
        Store(db)
    assert advice in str(error.value)
    for main, argv in ((show.main, ["--db", str(db)]),
                       (evaluate.main, ["--agent", "baselines/random", "--suite", "smoke",
                                        "--db", str(db)])):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert str(db) in str(stop.value.code) and advice in str(stop.value.code)
    (tmp_path / "a-file").write_text("x")          # a store "inside" a file: named too
    with pytest.raises(StoreError, match="a-file/r.sqlite"):
        Store(tmp_path / "a-file" / "r.sqlite")


def test_read_only_store_reads_without_touching_the_file(tmp_path):
    """``read_only=True`` (leaderboard.show) lists what is there, leaves the file's bytes as
    they were, refuses writes by name, and never creates a missing store."""
    import hashlib

    path = tmp_path / "store.sqlite"
    with Store(path) as store:
        store.submit([SPEC], label="tiny@v1")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store(path, read_only=True) as store:
        assert store.status(SPEC.run_id) == "running"
        assert [r["run_id"] for r in store.runs(status=None)] == [SPEC.run_id]
        with pytest.raises(StoreError, match="read-only"):
            store.submit([SPEC], label="other")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    with pytest.raises(StoreError, match="no results store"):
        Store(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()
