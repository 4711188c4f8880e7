"""Runner: a SIGKILLed sweep resumes without redoing or losing work; ray == local."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from wmagents.harness.runner import run_sweep
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store

TINY = ["hidden=[32,32]", "batch_size=32"]   # discrete SAC: 15 updates per episode


def write_suite(path, budget, seeds):
    path.write_text(json.dumps({
        "name": "runnertest", "version": 1, "description": "test", "seeds": seeds,
        "tasks": [{"env_id": "wmenvs/GridWorld-v0", "budget": budget, "eval_every": 1000,
                   "eval_episodes": 1}]}))
    return path


def evaluate_cmd(suite, db):
    return [sys.executable, "-m", "leaderboard.evaluate", "--agent", "baselines/sac", "--suite",
            str(suite), "--db", str(db), "--workers", "1", "--device", "cpu", "--set", *TINY]


def curves(db) -> dict:
    with Store(db) as store:
        return {r["seed"]: (r["final_return"], [(p["step"], p["returns"])
                                                for p in store.curve(r["run_id"])])
                for r in store.runs()}


@pytest.mark.slow
def test_sigkilled_sweep_resumes_without_redoing_or_losing_runs(tmp_path):
    suite = write_suite(tmp_path / "suite.json", budget=5000, seeds=2)
    killed_db, clean_db = tmp_path / "killed" / "r.sqlite", tmp_path / "clean" / "r.sqlite"
    clean = subprocess.Popen(evaluate_cmd(suite, clean_db), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)   # the reference, meanwhile
    sweep = subprocess.Popen(evaluate_cmd(suite, killed_db), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second_ckpt = None
    try:
        deadline = time.time() + 240
        while time.time() < deadline and sweep.poll() is None:
            finished = []
            try:
                with sqlite3.connect(killed_db) as conn:
                    finished = conn.execute(
                        "SELECT run_id FROM runs WHERE status = 'finished'").fetchall()
            except sqlite3.OperationalError:   # not created yet
                pass
            ckpts = list((killed_db.parent / "runs").glob("*/checkpoint.pt"))
            pending = [c for c in ckpts if (c.parent.name,) not in finished]
            if len(finished) == 1 and pending:
                second_ckpt = pending[0]
                break
            time.sleep(0.02)
    finally:
        os.killpg(sweep.pid, signal.SIGKILL)   # the sweep and its worker processes
        sweep.wait()
    assert second_ckpt is not None, "never saw one finished run and a checkpointed second one"
    with sqlite3.connect(killed_db) as conn:
        before = dict(conn.execute("SELECT run_id, finished_at FROM runs WHERE status='finished'"))
        assert conn.execute("SELECT COUNT(*) FROM runs WHERE status='running'").fetchone()[0] == 1

    rerun = subprocess.run(evaluate_cmd(suite, killed_db), capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "1 runs trained (1 resumed from a checkpoint), 1 already finished" in rerun.stdout
    log = (second_ckpt.parent / "metrics.jsonl").read_text().splitlines()
    resumed = [json.loads(line) for line in log if '"resume"' in line]
    assert len(resumed) == 1 and 0 < resumed[0]["step"] < 5000
    with sqlite3.connect(killed_db) as conn:   # the finished run was not redone
        after = dict(conn.execute("SELECT run_id, finished_at FROM runs"))
    assert all(after[k] == v for k, v in before.items()) and len(after) == 2

    assert clean.wait(300) == 0, clean.stderr.read()[-3000:]
    assert curves(killed_db) == curves(clean_db), "the resumed run diverged from a clean one"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head(monkeypatch):
    """A real Ray head on loopback in its own session; SIGTERM to ``--block`` stops it all.
    Token authentication is switched off for the head and every client: Ray turns it on when
    it finds a token file in ``~/.ray`` (left by any earlier ``ray.init``), and ``ray status``
    then never succeeds."""
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="wmray", dir="/tmp")  # short: Ray's sockets live there
    head = subprocess.Popen(
        ["ray", "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
         "--object-store-memory=100000000", f"--temp-dir={temp_dir}"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 300     # a loaded 2-core machine once needed more than 120 s
        while subprocess.run(["ray", "status", f"--address={address}"], capture_output=True,
                             timeout=60).returncode != 0:
            assert head.poll() is None and time.time() < deadline, "the Ray head did not start"
            time.sleep(1)
        yield address
        head.send_signal(signal.SIGTERM)
        head.wait(60)
    finally:
        try:
            os.killpg(head.pid, signal.SIGKILL)   # anything of this head still alive
        except ProcessLookupError:
            pass
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.mark.slow
def test_ray_backend_matches_local(tmp_path, ray_head):
    specs = [RunSpec("baselines/sac", "wmenvs/GridWorld-v0", seed, 600, 300, 1,
                     {"hidden": [32, 32], "batch_size": 32, "updates_per_step": 1})
             for seed in (0, 1)]
    results = {}
    for backend, address in (("local", None), ("ray", ray_head)):
        with Store(tmp_path / backend / "r.sqlite") as store:
            report = run_sweep(specs, store, tmp_path / backend / "runs", backend=backend,
                               workers=2, address=address, device="cpu")
            assert sorted(report.finished) == sorted(s.run_id for s in specs)
            results[backend] = {s.run_id: store.curve(s.run_id) for s in specs}
            assert {r["device"] for r in store.runs()} == {"cpu"}

    def strip(curve):
        return [{k: v for k, v in p.items() if k != "run_id"} for p in curve]

    for run_id in results["local"]:
        assert strip(results["ray"][run_id]) == strip(results["local"][run_id])
        assert len(results["local"][run_id]) == 3


@pytest.mark.slow
def test_a_failing_run_is_reported_and_the_others_finish(tmp_path):
    good = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 0, 300, 300, 1)
    bad = RunSpec(str(Path(__file__).parent / "adapters" / "crashing_agent.py"),
                  "wmenvs/GridWorld-v0", 0, 300, 300, 1)
    with Store(tmp_path / "r.sqlite") as store:
        report = run_sweep([bad, good], store, tmp_path / "runs", workers=2)
        assert report.finished == [good.run_id]
        assert "agent died at step 50" in report.failed[bad.run_id]
        assert store.status(good.run_id) == "finished" and store.status(bad.run_id) == "running"


def test_bad_overrides_stop_the_sweep_before_any_run(tmp_path):
    bad = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 0, 300, 300, 1, {"nope": 1})
    with Store(tmp_path / "r.sqlite") as store:
        with pytest.raises(ValueError, match=r"unknown RandomConfig fields \['nope'\]"):
            run_sweep([bad], store, tmp_path / "runs", workers=2)
        assert store.runs(status=None) == []


@pytest.mark.parametrize("threads", [1, 2])
def test_a_run_trains_on_the_threads_asked_for_and_says_so(tmp_path, threads):
    spec = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 0, 300, 300, 1)
    with Store(tmp_path / "r.sqlite") as store:
        run_sweep([spec], store, tmp_path / "runs", workers=1, device="cpu", threads=threads)
        assert json.loads(store.runs()[0]["provenance_json"])["torch_threads"] == threads


def test_zero_threads_is_refused_before_any_run(tmp_path):
    spec = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 0, 300, 300, 1)
    with Store(tmp_path / "r.sqlite") as store:
        with pytest.raises(ValueError, match="threads must be >= 1, got 0"):
            run_sweep([spec], store, tmp_path / "runs", threads=0)
        assert store.runs(status=None) == []


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_sigkilled_driver(tmp_path):
    """SIGKILL of the driver alone (not its process group) must not leave workers training."""
    suite = write_suite(tmp_path / "suite.json", budget=200_000, seeds=2)
    cmd = evaluate_cmd(suite, tmp_path / "r.sqlite")
    cmd[cmd.index("--workers") + 1] = "2"
    driver = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, workers = time.time() + 120, []
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [p for p in children_of(driver.pid)
                       if "spawn_main" in open(f"/proc/{p}/cmdline").read()]
        assert len(workers) == 2, "the driver never started its two workers"
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.time() + 30
        while time.time() < deadline and any(alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(alive(p) for p in workers), "workers outlived their driver"
    finally:
        for p in children_of(driver.pid):
            os.kill(p, signal.SIGKILL)


def test_a_foreign_or_truncated_result_file_is_redone_not_recorded(tmp_path):
    spec = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 0, 300, 300, 1)
    other = RunSpec("baselines/random", "wmenvs/GridWorld-v0", 1, 300, 300, 1)
    with Store(tmp_path / "a.sqlite") as store:
        run_sweep([other], store, tmp_path / "other", workers=1)
    for content in ((tmp_path / "other" / other.run_id / "result.json").read_text(), '{"run_id'):
        run_dir = tmp_path / "runs" / spec.run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "result.json").write_text(content)       # another run's result, then garbage
        with Store(tmp_path / f"r{len(content)}.sqlite") as store:
            report = run_sweep([spec], store, tmp_path / "runs", workers=1)
            assert report.finished == [spec.run_id] and not report.failed
            assert json.loads(store.runs()[0]["spec_json"])["seed"] == 0
        assert (run_dir / "result.json.rejected").read_text() == content
        (run_dir / "result.json").unlink()
