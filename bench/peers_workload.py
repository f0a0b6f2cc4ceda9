"""The cold workload of bench/peers.py: the photo, one distinct output size per request, and
each server's URL path for request `i` (bench/peers_hits.py uses the same URLs)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "tests" / "images" / "landscape_aitzgorri.jpg"
PUBLIC_ID = PHOTO.stem

#: Path of request `i` (one distinct output size per request) for each server.
UrlFn = Callable[[int, str], str]


def _size(i: int) -> tuple[int, int]:
    """Output size (px) of request `i`: 400..439 x 300..339, distinct for i < 1,600."""
    if i >= 1600:
        raise ValueError("more than 1,600 requests to one server: sizes would repeat (cache hits)")
    return 400 + i % 40, 300 + (i // 40) % 40


def edge_path(i: int, fmt: str = "jpg") -> str:
    """Edge delivery URL path of request `i` (c_fill centre crop, q80)."""
    w, h = _size(i)
    return f"/demo/image/upload/c_fill,w_{w},h_{h},q_80/{PUBLIC_ID}.{fmt}"


def thumbor_path(i: int, fmt: str = "jpg") -> str:
    """thumbor URL path of request `i` (default fill crop, centre, q80)."""
    w, h = _size(i)
    f = "jpeg" if fmt == "jpg" else fmt
    return f"/unsafe/{w}x{h}/filters:quality(80):format({f})/{PHOTO.name}"


def sharp_path(i: int, fmt: str = "jpg") -> str:
    """Path of request `i` on the bench's sharp server (fit cover = centre fill crop, q80)."""
    w, h = _size(i)
    return f"/{w}/{h}/{fmt}/{PHOTO.name}"


