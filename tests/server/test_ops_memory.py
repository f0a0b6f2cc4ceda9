"""Per-worker memory bounds (issue 9, item 4): building the app turns libvips' operation cache
off (libvips' default is 100 operations / 100 MB / 100 files per process) or to the bound the
settings give, and caps glibc's malloc arenas; issue 16: once idle after renders, a worker
hands the pages of freed render buffers back to the kernel (`IdleTrimmer`)."""

from __future__ import annotations

import asyncio
import platform
import time
from pathlib import Path

import pyvips
import pytest

from edge_live import Settings, create_app, make_origin, serve_app
from edge.server.memory import (
    VIPS_CACHE_MAX_MEM, IdleTrimmer, limit_malloc_arenas, malloc_stats, set_mmap_threshold, trim_heap,
)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(origin=str(make_origin(tmp_path / "media")), cache="none", focus="none", **overrides)


def test_the_app_turns_libvips_operation_cache_off_and_renders_leave_nothing_in_it(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    assert (pyvips.cache_get_max(), pyvips.cache_get_max_mem(), pyvips.cache_get_max_files()) == (0, 0, 0)
    with serve_app(app) as live:
        for w in (200, 210, 220):
            assert live.client.get(f"/demo/image/upload/c_fill,w_{w},h_150/samples/landscape").status_code == 200
    assert pyvips.cache_get_size() == 0


def test_a_bounded_libvips_cache_is_honoured(tmp_path: Path) -> None:
    create_app(_settings(tmp_path, vips_cache_ops=20))
    assert (pyvips.cache_get_max(), pyvips.cache_get_max_mem(), pyvips.cache_get_max_files()) == (20, VIPS_CACHE_MAX_MEM, 20)
    create_app(_settings(tmp_path / "again"))  # back to off for the other tests of this process
    assert pyvips.cache_get_max() == 0


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="M_ARENA_MAX is glibc's")
def test_malloc_arenas_are_capped_on_glibc() -> None:
    assert limit_malloc_arenas(2) is True
    assert limit_malloc_arenas(0) is False  # 0 leaves glibc's default alone


def test_negative_memory_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="vips_cache_ops"):
        Settings(vips_cache_ops=-1).validate()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallinfo2/malloc_trim are glibc's")
def test_malloc_stats_count_freed_render_buffers_and_a_fixed_mmap_threshold_is_accepted() -> None:
    stats = malloc_stats()
    assert stats is not None and set(stats) == {"arena", "in_use", "free", "mmapped"}
    assert stats["arena"] > 0 and stats["in_use"] > 0
    assert set_mmap_threshold(0) is False  # 0 keeps glibc's dynamic threshold
    assert trim_heap() is True


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallinfo2/malloc_trim are glibc's")
def test_the_idle_trimmer_trims_after_renders_once_idle_and_never_while_busy(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    trimmer = app.state.trimmer
    trimmer.interval_s = 0.2
    trimmer.min_free_bytes = 1
    with serve_app(app) as live:
        for w in range(300, 340, 10):  # progressive 3088x2056 JPEG: megabytes of decoder buffers
            assert live.client.get(f"/demo/image/upload/c_fill,w_{w},h_200,q_80/samples/landscape.jpg").status_code == 200
        deadline = time.monotonic() + 10
        while trimmer.trims == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert trimmer.trims >= 1
    assert IdleTrimmer(lambda: True, min_free_bytes=1).should_trim() is False  # renders admitted: keep
    idle_little_free = IdleTrimmer(lambda: False, min_free_bytes=1 << 50)
    assert asyncio.run(idle_little_free.trim_if_due()) is False and idle_little_free.trims == 0


def test_the_app_runs_one_libvips_thread_per_pipeline_unless_vips_concurrency_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = pyvips.concurrency_get()
    monkeypatch.delenv("VIPS_CONCURRENCY", raising=False)
    pyvips.concurrency_set(4)
    create_app(_settings(tmp_path))
    assert pyvips.concurrency_get() == 1  # renders are parallel across render threads instead
    monkeypatch.setenv("VIPS_CONCURRENCY", "3")
    pyvips.concurrency_set(3)
    create_app(_settings(tmp_path / "again"))
    assert pyvips.concurrency_get() == 3  # an explicit VIPS_CONCURRENCY is left alone
    pyvips.concurrency_set(before)
