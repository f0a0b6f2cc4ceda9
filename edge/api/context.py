"""`ApiContext`: the collaborators and settings every API endpoint reads.

Its own module so that endpoint modules (upload, admin, analyze, ...) and the router that
assembles them all import it from below: imports flow router -> endpoints -> context
(tests/test_layout.py checks there is no cycle).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["ApiContext"]


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
