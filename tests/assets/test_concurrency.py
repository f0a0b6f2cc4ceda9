"""Several processes writing one public_id at once lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import threading
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from edge.assets.catalogue import AssetDraft, new_version_id
from edge.assets.factory import catalogue_from_location

WORKER = Path(__file__).with_name("catalogue_worker.py")


def run_workers(location: str, jobs: list[tuple[str, str, int]]) -> list:
    start_at = time.time() + 2.0  # every process has imported and opened the catalogue by then
    procs = [subprocess.Popen([sys.executable, str(WORKER), location, mode, name, str(n), str(start_at)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for mode, name, n in jobs]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def test_concurrent_publishes_and_tags_lose_nothing(catalogue_location: str) -> None:
    cat = catalogue_from_location(catalogue_location)
    first = cat.publish(AssetDraft(type="upload", public_id="shared", version_id=new_version_id(), format="jpg",
                                   width=1, height=1, bytes=1, etag="0" * 32)).record
    outs = run_workers(catalogue_location, [("publish", "p1", 25), ("publish", "p2", 25),
                                            ("tag", "a", 30), ("tag", "b", 30)])
    got = outs[0] + outs[1]
    versions = [v for v, _, _ in got]
    assert len(set(versions)) == 50, "two publishes got the same version"
    assert {a for _, _, a in got} == {first.asset_id}
    for out in outs[:2]:  # each process saw its own versions strictly increase
        mine = [v for v, _, _ in out]
        assert mine == sorted(mine) and len(set(mine)) == len(mine)
    hist = cat.versions(first.asset_id)
    assert len(hist) == 51 and len({h.version_id for h in hist}) == 51
    assert sorted(h.version for h in hist) == sorted([first.version, *versions])
    current = cat.get("upload", "shared")
    assert current.version == max(versions) and current.version_id == next(
        vid for v, vid, _ in got if v == current.version)
    want = {f"a-{i}" for i in range(30)} | {f"b-{i}" for i in range(30)}
    assert set(current.tags) == want, "a concurrent tag update was lost"
    assert set(current.context) == want
    cat.close()


def test_concurrent_create_without_overwrite_has_one_winner(catalogue_location: str) -> None:
    catalogue_from_location(catalogue_location).close()  # migrate once, then race on data only
    outs = run_workers(catalogue_location, [("create", str(i), 1) for i in range(4)])
    assert sorted(o[0] for o in outs) == ["created", "existing", "existing", "existing"]
    cat = catalogue_from_location(catalogue_location)
    rec = cat.get("upload", "race")
    assert rec is not None and len(cat.versions(rec.asset_id)) == 1
    cat.close()


def test_fresh_catalogue_opened_by_several_processes_migrates_once(catalogue_location: str) -> None:
    outs = run_workers(catalogue_location, [("create", str(i), 1) for i in range(3)])
    assert sorted(o[0] for o in outs) == ["created", "existing", "existing"]


def test_concurrent_publishes_share_one_log_sync(tmp_path: Path, monkeypatch: Any) -> None:
    """The group commit of the SQLite `-wal` sync: publishes of one process that commit while
    a sync is running share the next one, and each returns only after a sync that started
    after its own commit (its row is on disk before the answer)."""
    import edge.assets.sql_base as sql_base

    cat = catalogue_from_location(f"sqlite:///{tmp_path / 'catalogue.db'}")
    real = os.fdatasync
    syncs: list[tuple[float, float]] = []  # (start, end) of each sync of the -wal file
    lock = threading.Lock()

    def slow_sync(fd: int) -> None:  # a disk whose flush takes 30 ms, so commits overlap it
        start = time.monotonic()
        real(fd)
        time.sleep(0.03)
        with lock:
            syncs.append((start, time.monotonic()))

    monkeypatch.setattr(sql_base.os, "fdatasync", slow_sync)
    committed: dict[str, float] = {}
    real_durable = cat._durable

    def durable() -> None:  # the moment each commit landed, just before its sync wait
        committed[threading.current_thread().name] = time.monotonic()
        real_durable()

    monkeypatch.setattr(cat, "_durable", durable)
    answered: dict[str, float] = {}
    barrier = threading.Barrier(12)

    def one(i: int) -> None:
        threading.current_thread().name = f"w{i}"
        barrier.wait()
        cat.publish(AssetDraft(type="upload", public_id=f"g/{i}", version_id=new_version_id(), format="jpg",
                               width=1, height=1, bytes=1, etag="0" * 32))
        answered[f"w{i}"] = time.monotonic()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answered) == 12
    assert 1 <= len(syncs) <= 6, f"{len(syncs)} syncs for 12 concurrent publishes: no group commit"
    for name, at in answered.items():  # a sync that began after the commit ended before the answer
        assert any(start >= committed[name] and end <= at for start, end in syncs), name
    assert all(cat.get("upload", f"g/{i}") is not None for i in range(12))
    cat.close()
