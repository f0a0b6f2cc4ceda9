"""`edge serve` refuses to start over a disk origin it cannot read (issue 9, item 9): exit 2
with a message naming the directory, instead of a server answering 503 to everything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge_live import free_port


def _serve(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", "serve", "--port", str(free_port()), "--cache", "none",
         "--focus", "none", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )


def test_serve_from_a_folder_without_media_exits_2(tmp_path: Path) -> None:
    done = _serve(tmp_path)  # default origin ./media, absent here
    assert done.returncode == 2
    assert done.stderr.startswith("edge serve: origin directory './media'") and "--origin" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_origin_that_is_a_file_exits_2_before_any_worker(tmp_path: Path, workers: str) -> None:
    not_a_dir = tmp_path / "media.jpg"
    not_a_dir.write_bytes(b"\xff\xd8")
    done = _serve(tmp_path, "--origin", str(not_a_dir), "--workers", workers)
    assert done.returncode == 2 and str(not_a_dir) in done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_origin_exits_2(tmp_path: Path) -> None:
    locked = tmp_path / "media"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert _serve(tmp_path, "--origin", str(locked)).returncode == 2
    finally:
        locked.chmod(0o755)
