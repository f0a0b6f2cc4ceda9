"""The cached-answer path (issue 16): `DeliveryFirstRouter` sends delivery paths straight to
the catch-all route and picks, for every path, the route Starlette's scan picks; a worker
freezes its startup heap (`gc.freeze`) so collections during traffic scan only what requests
made; and a live server still answers every kind of path as before (health, API, delivery,
a path no route matches, a method the delivery route does not take)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Route, Router

from edge_live import server_with, make_origin
from edge.server.app import DeliveryFirstRouter
from edge.server.memory import freeze_startup_objects


async def _ok(_request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


ROUTES = [
    Route("/healthz", _ok, methods=["GET"]),
    Route("/v1_1/{cloud}/{resource_type}/upload", _ok, methods=["POST"]),
    Route("/v2/{rest:path}", _ok, methods=["GET"]),
    Route("/{path:path}", _ok, methods=["GET", "HEAD"]),
]
PATHS = ["/healthz", "/healthzz", "/v1_1/demo/image/upload", "/v1_1/x", "/v2/analysis/demo/models", "/v2",
         "/demo/image/upload/c_fill,w_400,h_300/sample.jpg", "/image/upload/sample.jpg", "/", "/v1_"]


def _chosen(router: Router, path: str, method: str) -> tuple[str | None, Match]:
    """The route (its path) Starlette's route-by-route scan picks, and how it matched."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    partial = None
    for route in router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.path, match
        if match is Match.PARTIAL and partial is None:
            partial = route.path
    return partial, Match.PARTIAL if partial else Match.NONE


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_delivery_first_router_skips_only_routes_that_cannot_match(method: str) -> None:
    router = DeliveryFirstRouter(routes=ROUTES)
    assert router._earlier == ("/healthz", "/v1_1/", "/v2/")
    skipped = [p for p in PATHS if not p.startswith(router._earlier)]
    assert len(skipped) == 5
    for path in skipped:  # the shortcut takes the catch-all: so does the scan, for any method
        assert _chosen(Router(routes=ROUTES), path, method)[0] == "/{path:path}", path


def test_a_route_with_a_pattern_at_its_start_turns_the_shortcut_off() -> None:
    router = DeliveryFirstRouter(routes=[Route("/{cloud}/status", _ok), *ROUTES])
    assert "/" in router._earlier  # every path starts with "/": the scan always runs


def test_freezing_the_startup_heap_leaves_later_objects_collectable() -> None:
    try:
        frozen = freeze_startup_objects()
        assert frozen > 1000 and gc.get_freeze_count() > 1000  # (objects may die in between)
        young = len(gc.get_objects())
        assert young < frozen  # what was alive is no longer scanned
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # a cycle made after the freeze is still found
    finally:
        gc.unfreeze()


def test_a_live_server_answers_every_kind_of_path_as_before(tmp_path: Path) -> None:
    origin = make_origin(tmp_path / "media")
    with server_with(origin) as live:
        c = live.client
        assert c.get("/healthz").text == "ok\n"
        first = c.get("/demo/image/upload/c_fill,w_120,h_90/samples/landscape")
        again = c.get("/demo/image/upload/c_fill,w_120,h_90/samples/landscape")
        assert first.status_code == again.status_code == 200
        assert again.headers["x-edge-cache"] == "memory" and again.content == first.content
        assert c.post("/demo/image/upload/c_fill,w_120/samples/landscape").status_code == 405
        api = c.get("/v1_1/demo/resources/image")
        assert api.status_code in (200, 401) and api.headers["content-type"].startswith("application/json")
        bad = c.get("/demo/image/upload/w_abc/samples/landscape")
        assert bad.status_code == 400 and bad.headers["x-cld-error"]
