"""The Starlette `Router` of Edge's Cloudinary-compatible APIs (Upload API and Admin API), and
`unmatched`, its JSON 404 for API paths no route matched.  `ApiContext` (everything the
endpoints need) lives in `edge.api.context`; it is re-exported here.

`edge.server.app` builds the context from its settings and mounts `api_router(ctx)` before the
delivery catch-all; the api package never imports server (imports flow server -> api ->
assets/storage).  Routes (all under `/v1_1/<cloud>/`; another cloud name answers 404 JSON):

* Upload API (signed parameters or an unsigned preset, `edge.api.auth`): `POST image/upload`,
  `image/explicit`, `image/destroy`, `image/rename`, `image/tags`, `image/context`, `delete_by_token`
  (`edge.api.upload`).
* Admin API (HTTP Basic): the routes of `edge.api.admin.admin_routes(ctx)`.
* Analyze API v2 (HTTP Basic, issue 12): `edge.api.analyze.analyze_routes(ctx)`, under `/v2/`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from edge.api.admin import admin_routes
from edge.api.analyze import analyze_routes
from edge.api.context import ApiContext
from edge.api.errors import error_json
from edge.api.upload import upload_routes

__all__ = ["ApiContext", "api_router"]


def api_router(ctx: ApiContext) -> Router:
    """A Router holding every API route (Upload API, then Admin API when installed)."""
    routes: list[BaseRoute] = list(upload_routes(ctx))
    routes += list(admin_routes(ctx))  # ends with its own /v1_1/<cloud>/... catch-all

    routes += list(analyze_routes(ctx))
    return Router(routes=routes)


async def _unknown_api_path(request: Request) -> Response:
    """A `/v2/...` path no Analyze route matched: the SDK's JSON 404 (delivery never sees it)."""
    return error_json(request, 404, f"Unknown API path {request.url.path[:200]}")


#: First path segments of the APIs: a path under them that no route matches is an API 404.
API_PREFIXES = ("/v1_1/", "/v2/")


def unmatched(fallback: ASGIApp) -> ASGIApp:
    """The router's `default` handler: a path under `API_PREFIXES` that no API route matched
    (`/v2/analysis/demo/tasks//`, a decoded `%2F`) answers the SDK's JSON 404
    `{"error": {"message": ...}}`; any other path goes to `fallback` (delivery)."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(API_PREFIXES):
            await (await _unknown_api_path(Request(scope, receive)))(scope, receive, send)
            return
        await fallback(scope, receive, send)

    return handle
