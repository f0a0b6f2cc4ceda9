"""Several processes writing one public_id at once lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

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
