"""Run claims: of several commands on one store, each run is trained by exactly one; a live
claimant's runs are skipped with a message, a dead one's are taken over (at once on this host,
after the lease elsewhere)."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
from collections import Counter

import pytest

from wmagents.harness.runner import run_sweep
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store

SPECS = [RunSpec("baselines/random", "wmenvs/GridWorld-v0", seed, 250, 250, 1)
         for seed in range(3)]


def _claim_all(db, owner, ids, barrier, out):
    with Store(db) as store:
        barrier.wait()
        out.put((owner, store.claim(ids, owner, lease_s=60)[0]))


def test_racing_claims_give_each_run_to_exactly_one_command(tmp_path):
    db = tmp_path / "r.sqlite"
    specs = [RunSpec("baselines/random", "wmenvs/GridWorld-v0", seed, 100, 100, 1)
             for seed in range(40)]
    with Store(db) as store:
        store.submit(specs)
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(4), context.Queue()
    ids = [s.run_id for s in specs]
    procs = [context.Process(target=_claim_all, args=(db, f"h:{i}:x", ids, barrier, out))
             for i in range(4)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join()
    counts = Counter(run_id for claimed in results.values() for run_id in claimed)
    assert set(counts) == set(ids) and set(counts.values()) == {1}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_live_claims_are_skipped_dead_ones_taken_over(tmp_path, capsys):
    db, work = tmp_path / "r.sqlite", tmp_path / "runs"
    here = socket.gethostname()
    live, dead = f"{here}:{os.getpid()}:other", f"{here}:{dead_pid()}:x"
    remote = "elsewhere.example:1:y"
    with Store(db) as store:
        store.submit(SPECS)
        for spec, owner in zip(SPECS, (live, dead, remote)):
            assert store.claim([spec.run_id], owner, lease_s=60)[0] == [spec.run_id]
        report = run_sweep(SPECS, store, work, workers=1)
        assert report.finished == [SPECS[1].run_id]           # the dead claimant's run
        assert set(report.elsewhere) == {SPECS[0].run_id, SPECS[2].run_id}
        assert "being trained by elsewhere.example:1:y" in capsys.readouterr().err
        assert not (work / SPECS[0].run_id).exists()           # nothing written for it
        store.conn.execute("UPDATE run_claims SET heartbeat = 0 WHERE owner = ?", (remote,))
        store.conn.commit()                                    # the remote lease expires
        report = run_sweep(SPECS, store, work, workers=1)
        assert report.finished == [SPECS[2].run_id] and list(report.elsewhere) == [SPECS[0].run_id]
        assert store.conn.execute("SELECT count(*) FROM run_claims WHERE owner NOT IN (?)",
                                  (live,)).fetchone()[0] == 0  # released after recording


@pytest.mark.slow
def test_two_concurrent_evaluate_commands_train_each_run_once(tmp_path):
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({
        "name": "claims", "version": 1, "description": "test", "seeds": 4,
        "tasks": [{"env_id": "wmenvs/GridWorld-v0", "budget": 3000, "eval_every": 1500,
                   "eval_episodes": 1}]}))
    db = tmp_path / "r.sqlite"
    cmd = [sys.executable, "-m", "leaderboard.evaluate", "--agent", "baselines/sac", "--suite",
           str(suite), "--db", str(db), "--workers", "1", "--device", "cpu", "--set",
           "hidden=[32,32]", "batch_size=32"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    with Store(db) as store:
        runs = store.runs()
    assert len(runs) == 4
    for run in runs:                 # one training history per run: no duplicated records
        lines = (tmp_path / "runs" / run["run_id"] / "metrics.jsonl").read_text().splitlines()
        episodes = [json.loads(line)["episode"] for line in lines if '"train_episode"' in line]
        assert len(episodes) == len(set(episodes)) > 0


def live_workers() -> list[int]:
    """Live child processes of this one, the multiprocessing resource tracker aside (Linux)."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"resource_tracker" not in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_a_store_that_cannot_be_written_stops_the_sweep_cleanly(tmp_path, monkeypatch):
    """"database or disk is full" while recording: one StoreError naming the store and the
    kept result, no worker left running, and the next command records the run without
    training it again."""
    import sqlite3

    db, work = tmp_path / "r.sqlite", tmp_path / "runs"
    specs = [RunSpec("baselines/random", "wmenvs/GridWorld-v0", seed, 250, 250, 1)
             for seed in range(3)]

    def full(self, result):
        raise sqlite3.OperationalError("database or disk is full")

    with Store(db) as store:
        with monkeypatch.context() as patch:
            patch.setattr(Store, "record", full)
            with pytest.raises(Exception, match="disk is full") as stopped:
                run_sweep(specs, store, work, workers=2)
        assert str(db) in str(stopped.value) and "result.json" in str(stopped.value)
        assert not live_workers()
        kept = [s for s in specs if (work / s.run_id / "result.json").exists()]
        assert kept
        stamps = {s.run_id: (work / s.run_id / "result.json").stat().st_mtime_ns for s in kept}
        report = run_sweep(specs, store, work, workers=2)
        assert sorted(report.finished) == sorted(s.run_id for s in specs)
        assert all((work / r / "result.json").stat().st_mtime_ns == t for r, t in stamps.items())
