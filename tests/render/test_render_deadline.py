"""The render deadline (edge/render/deadline.py): libvips work stops once it is past."""

from __future__ import annotations

import time

import pytest

from edge.render import RenderTimeout, render
from edge.url import parse
from render_support import IMAGES

BIG = (IMAGES / "large_5312x2988_seeding.jpg").read_bytes()
HEAVY = parse("/demo/image/upload/e_blur:2000/e_sharpen:2000/q_95/x.jpg")


def test_a_render_past_its_deadline_is_stopped():
    started = time.monotonic()
    with pytest.raises(RenderTimeout) as err:
        render(BIG, HEAVY, deadline=started + 0.2)
    stopped = time.monotonic() - started
    assert err.value.status == 503
    # the same render without a deadline takes much longer than the budget
    started = time.monotonic()
    render(BIG, HEAVY)
    full = time.monotonic() - started
    assert stopped < full * 0.8, (stopped, full)


def test_a_deadline_already_past_stops_before_any_work():
    with pytest.raises(RenderTimeout):
        render(BIG, HEAVY, deadline=time.monotonic() - 1)


def test_a_generous_deadline_changes_nothing():
    request = parse("/demo/image/upload/c_fill,w_120,h_80/x.jpg")
    small = (IMAGES / "tiny_hopper_128.jpg").read_bytes()
    assert render(small, request, deadline=time.monotonic() + 60).data == render(small, request).data
