"""Per-worker memory bounds (issue 9, item 4): building the app turns libvips' operation cache
off (libvips' default is 100 operations / 100 MB / 100 files per process) or to the bound the
settings give, and caps glibc's malloc arenas."""

from __future__ import annotations

import platform
from pathlib import Path

import pyvips
import pytest

from edge_live import Settings, create_app, make_origin, serve_app
from edge.server.memory import VIPS_CACHE_MAX_MEM, limit_malloc_arenas


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
