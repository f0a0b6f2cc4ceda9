"""Durable jobs on huey: SQLite (embedded) and a real PostgreSQL (shared between nodes)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from edge.assets.jobs import JobQueue, jobs_location_for


@pytest.fixture(params=["sqlite", "postgresql"])
def jobs_location(request: Any, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return request.getfixturevalue("pg_server").new_database()


def wait_for(cond, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_graceful_restart_mid_queue_runs_every_job_once(jobs_location: str) -> None:
    ran: list[int] = []
    started = threading.Event()

    def slow(p: dict) -> None:
        started.set()
        time.sleep(0.2)
        ran.append(p["n"])

    q = JobQueue(jobs_location, workers=1, poll_s=0.05)
    q.register("reanalyse", slow)
    for i in range(6):
        q.enqueue("reanalyse", {"n": i})
    q.start()
    assert started.wait(10)
    q.close()  # graceful: the running job finishes, the others stay stored
    assert 1 <= len(ran) < 6
    q2 = JobQueue(jobs_location, workers=1, poll_s=0.05)
    q2.register("reanalyse", slow)
    q2.start()
    wait_for(lambda: len(ran) >= 6)
    time.sleep(0.3)
    q2.close()
    assert sorted(ran) == list(range(6))


def test_enqueued_before_start_runs_after_restart(jobs_location: str) -> None:
    q = JobQueue(jobs_location)
    q.register("webhook", lambda p: None)
    for i in range(3):
        q.enqueue("webhook", {"n": i})
    q.close()  # never started: nothing ran
    ran: list[int] = []
    q2 = JobQueue(jobs_location)
    q2.register("webhook", lambda p: ran.append(p["n"]))
    assert q2.pending() == 3
    q2.start()
    wait_for(lambda: len(ran) == 3)
    q2.close()
    assert sorted(ran) == [0, 1, 2]


def test_retry_with_backoff_then_success(jobs_location: str) -> None:
    q = JobQueue(jobs_location, poll_s=0.1)
    attempts: list[float] = []
    done = threading.Event()

    def flaky(payload: dict) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("receiver down")
        done.set()

    q.register("flaky", flaky, retries=4, retry_delay_s=0.5, retry_backoff=2.0)
    q.enqueue("flaky", {"url": "http://127.0.0.1:9/hook"})
    q.start()
    try:
        assert done.wait(30)
    finally:
        q.close()
    assert len(attempts) == 3
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 0.4 and gaps[1] >= gaps[0] * 1.3, gaps  # waited, and longer the second time


def test_delayed_job_and_unknown_name(jobs_location: str) -> None:
    q = JobQueue(jobs_location, poll_s=0.1)
    ran: list[float] = []
    q.register("later", lambda p: ran.append(time.monotonic()))
    with pytest.raises(KeyError):
        q.enqueue("nope", {})
    with pytest.raises(ValueError):
        q.register("later", lambda p: None)
    t0 = time.monotonic()
    q.start()
    q.enqueue("later", {}, delay_s=1.5)
    wait_for(lambda: ran)
    q.close()
    assert ran[0] - t0 >= 1.4


def test_two_nodes_share_jobs_each_runs_once(jobs_location: str) -> None:
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()
    nodes = []
    for node in ("a", "b"):
        q = JobQueue(jobs_location, workers=2, poll_s=0.05)

        def handler(p: dict, node: str = node) -> None:
            time.sleep(0.01)
            with lock:
                seen.append((node, p["n"]))

        q.register("analyse", handler)
        nodes.append(q)
    for i in range(40):
        nodes[i % 2].enqueue("analyse", {"n": i})
    for q in nodes:
        q.start()
    wait_for(lambda: len(seen) >= 40)
    time.sleep(0.3)
    for q in nodes:
        q.close()
    assert sorted(n for _, n in seen) == list(range(40)), "a job ran twice or was lost"
    assert {node for node, _ in seen} == {"a", "b"}


def test_postgresql_job_tables_are_prefixed(pg_server) -> None:
    import psycopg

    location = pg_server.new_database()
    q = JobQueue(location)
    q.register("x", lambda p: None)
    q.enqueue("x", {})
    q.close()
    with psycopg.connect(location) as conn:
        names = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        indexes = {r[0]: r[1] for r in conn.execute(
            "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")}
    assert names == {"edge_jobs_kv", "edge_jobs_task", "edge_jobs_schedule", "edge_jobs_counter"}
    assert all(t.startswith("edge_jobs_") for t in indexes.values()), indexes
    assert any("priority" in n for n in indexes)  # huey's dequeue index came along


def test_jobs_location_for() -> None:
    assert jobs_location_for("sqlite:////x/y/catalogue.db") == "sqlite:////x/y/jobs.db"
    assert jobs_location_for("postgresql://h/db") == "postgresql://h/db"
    with pytest.raises(ValueError):
        JobQueue("redis://localhost")


_CRASHING_NODE = """
import sys, time
from pathlib import Path
from edge.assets.jobs import JobQueue

location, flag = sys.argv[1], Path(sys.argv[2])
q = JobQueue(location, workers=1, poll_s=0.05, heartbeat_s=0.2, stale_after_s=1.0)

def slow(payload):
    flag.write_text(str(payload["n"]))
    time.sleep(120)

q.register("webhook", slow)
q.enqueue("webhook", {"n": 7})
q.start()
time.sleep(120)
"""


def test_job_running_in_a_killed_process_runs_again(jobs_location: str, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    flag = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", _CRASHING_NODE, jobs_location, str(flag)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: flag.exists(), timeout_s=60)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    ran: list[int] = []
    q = JobQueue(jobs_location, workers=1, poll_s=0.05, heartbeat_s=0.2, stale_after_s=1.0)
    q.register("webhook", lambda p: ran.append(p["n"]))
    assert q.pending() == 0  # huey had taken the job off its queue: only the marker keeps it
    q.start()
    try:
        wait_for(lambda: ran, timeout_s=20)
        time.sleep(0.5)
    finally:
        q.close()
    assert ran == [7]


def test_long_job_of_a_live_node_is_not_stolen(jobs_location: str) -> None:
    ran: list[str] = []
    nodes = []
    for node in ("a", "b"):
        q = JobQueue(jobs_location, workers=1, poll_s=0.05, heartbeat_s=0.2, stale_after_s=1.0)

        def long(p: dict, node: str = node) -> None:
            time.sleep(2.5)  # longer than stale_after_s: only the heartbeat keeps it owned
            ran.append(node)

        q.register("reanalyse", long)
        nodes.append(q)
    nodes[0].enqueue("reanalyse", {})
    for q in nodes:
        q.start()
    wait_for(lambda: ran, timeout_s=20)
    time.sleep(1.5)
    for q in nodes:
        q.close()
    assert len(ran) == 1
