"""The Starlette `Router` of Edge's Cloudinary-compatible APIs (Upload API and Admin API), and
`ApiContext`, everything the endpoints need.

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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from edge.api.errors import error_json

__all__ = ["ApiContext", "api_router"]


@dataclass
class ApiContext:
    """Collaborators and settings of the API endpoints.

    * `cloud_name`, `api_key`, `api_secret`: the account (one key; secret signs and verifies).
    * `max_upload_bytes`: largest accepted file (bytes; 413 above).
    * `public_url`: base of `url`/`secure_url` in answers (`http://host:port`, no trailing /);
      `secure_url` uses the same host with `https`.
    * `catalogue`: an `edge.assets.catalogue.Catalogue`; `store`: the writable store of
      originals (`edge.storage.writable`); `fetch_origin`: `edge.storage.FetchOrigin` for
      remote `file` URLs (its allow-list and address rules apply).
    * `deriver`: `edge.derive.Deriver` (eager renders, same code path and cache keys as
      delivery); `purge(removed_or_record) -> int`: drops the derived cache entries of an asset.
    * `jobs`: the job queue (`edge.assets.jobs`) for async uploads, eager_async and webhooks;
      `webhooks`: `edge.api.webhooks.WebhookSender`.
    * `io`: executor for blocking work (catalogue, storage, pyvips validation, analysis).
    * `notification_url`: global webhook URL ('' none); `lenient_analysis`: unsupported
      add-on models report `status: failed` instead of a 400; `analysis_aliases`: third-party
      tagger names answered by an Edge model (`{"imagga_tagging": "edge_tagging"}`).
    """

    cloud_name: str
    api_key: str
    api_secret: str
    max_upload_bytes: int
    public_url: str
    catalogue: Any
    store: Any
    fetch_origin: Any
    deriver: Any
    io: ThreadPoolExecutor
    purge: Callable[..., Any] | None = None
    jobs: Any = None
    webhooks: Any = None
    notification_url: str = ""
    lenient_analysis: bool = False
    analysis_aliases: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def secure_url(self) -> str:
        """`public_url` with the https scheme."""
        base = self.public_url
        return "https://" + base.split("://", 1)[1] if "://" in base else base


def api_router(ctx: ApiContext) -> Router:
    """A Router holding every API route (Upload API, then Admin API when installed)."""
    from edge.api.upload import upload_routes  # noqa: PLC0415 - upload imports this module

    from edge.api.admin import admin_routes  # noqa: PLC0415
    from edge.api.analyze import analyze_routes  # noqa: PLC0415 - issue 12: Analyze API v2

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
