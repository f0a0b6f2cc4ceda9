"""issue 10: the API's collaborators built from the settings (kept out of `edge.server.app`):
the catalogue (which delivery reads too), the `ApiContext` of `edge.api.context` (writable
origin, fetch origin, derivation, purge, durable job queue, webhook sender, public URL,
upload limits), and the start/stop of its background work in the server lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from edge.api.context import ApiContext
from edge.api.webhooks import WebhookSender
from edge.server.settings import Settings
from edge.storage import DerivedCache, Origin, WritableDiskOrigin

__all__ = ["catalogue_for", "api_context", "purge_for", "jobs_for", "start_api", "stop_api"]

log = logging.getLogger("edge.server")


def api_context(settings: Settings, *, catalogue: Any, origin: Origin, fetch_origin: Origin,
                cache: DerivedCache, deriver: Any, io: ThreadPoolExecutor,
                extra: dict[str, Any] | None = None) -> ApiContext:
    """The `ApiContext` of one app: `origin` is the writable origin of originals, `deriver`
    delivery's `edge.derive.Deriver`; `extra` entries are added to `ApiContext.extra`."""
    return ApiContext(
        cloud_name=settings.cloud_name, api_key=settings.api_key, api_secret=settings.api_secret,
        max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        public_url=(settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/"),
        catalogue=catalogue, store=origin, fetch_origin=fetch_origin, deriver=deriver, io=io,
        purge=purge_for(catalogue, cache), notification_url=settings.notification_url,
        lenient_analysis=settings.analysis_lenient, analysis_aliases=settings.analysis_aliases,
        webhooks=WebhookSender(settings.api_secret, attempts=settings.webhook_attempts,
                               allow_private=settings.fetch_allow_private),
        jobs=jobs_for(catalogue),
        extra={"webhook_attempts": settings.webhook_attempts, "chunk_dir": _chunk_dir(settings),
               **(extra or {})},
    )


def start_api(ctx: ApiContext) -> None:
    """Lifespan startup (inside the running loop): bind the Upload API's job handlers to it
    and start the job consumer."""
    upload_api = ctx.extra.get("upload_api")
    if upload_api is not None:
        upload_api.start(asyncio.get_running_loop())
    # leftovers of writers killed mid-upload (older than an hour: never an upload in flight)
    ctx.extra["sweep"] = asyncio.get_running_loop().run_in_executor(ctx.io, _sweep_leftovers, ctx)


def _sweep_leftovers(ctx: ApiContext) -> None:
    """Delete temporary files and unreferenced originals older than an hour
    (`edge.assets.originals.sweep_orphans`, `WritableDiskOrigin.sweep_temp`); logged, never
    raises (a failed sweep is retried at the next start)."""
    from edge.assets.originals import sweep_orphans  # noqa: PLC0415

    try:
        # only the disk origin keeps temporary files (an S3 PUT is atomic)
        temp = ctx.store.sweep_temp() if isinstance(ctx.store, WritableDiskOrigin) else 0
        orphans = sweep_orphans(ctx.store, ctx.catalogue)
        if temp or orphans:
            log.info("swept %d temporary files and %d unreferenced originals", temp, len(orphans))
    except Exception:  # noqa: BLE001 - housekeeping must not stop the server
        log.warning("sweeping leftover originals failed", exc_info=True)


async def stop_api(ctx: ApiContext) -> None:
    """Lifespan shutdown: stop the consumer (running jobs finish), wait for in-process
    background work, close the job queue and the catalogue."""
    upload_api = ctx.extra.get("upload_api")
    if upload_api is not None:
        await upload_api.stop()
    sweep = ctx.extra.pop("sweep", None)
    if sweep is not None:  # it reads the catalogue closed below
        await sweep
    if ctx.jobs is not None:
        ctx.jobs.close()
    ctx.catalogue.close()


def catalogue_for(settings: Settings) -> Any:
    """The catalogue of `settings.catalogue` (a location string or `package.module:callable`,
    see `edge.assets.factory.catalogue_from_location`).  Default (the embedded
    one, `edge.assets.factory.default_catalogue_location`): a SQLite file in the reserved tree
    of a local origin folder, `<origin>/.edge-originals/catalogue.db` (never served), so the
    originals and the rows that describe them live, move and are backed up together, and
    wiping the derived cache loses nothing; with an S3 origin, beside a local cache folder
    (`<cache>/catalogue.db`); else an in-memory catalogue of this process (logged: set
    `--catalogue`).  The choice never depends on files that uploads create, so a restart
    finds the same one."""
    from edge.assets.factory import catalogue_from_location, default_catalogue_location  # noqa: PLC0415
    from edge.storage.disk_origin import ORIGINALS_PREFIX  # noqa: PLC0415

    location = settings.catalogue
    if not location:
        if not settings.origin.startswith("s3://") and Path(settings.origin).is_dir():
            location = default_catalogue_location(Path(settings.origin) / ORIGINALS_PREFIX)
        elif settings.cache not in ("", "none") and not settings.cache.startswith("s3://"):
            location = default_catalogue_location(settings.cache)
        else:
            log.warning("no local origin or cache directory: the catalogue lives in memory (set --catalogue)")
            location = "sqlite:///:memory:"
    return catalogue_from_location(location, settings=settings)


def purge_for(catalogue: Any, cache: DerivedCache) -> Callable[[Any], Any]:
    """`purge(what)` of the API: drops derived cache entries (`edge.assets.invalidate`)
    of a `DerivedRecord`, of a deleted asset (`Removed`) or of every derivative of an asset
    (`AssetRecord`: its derived records are forgotten too)."""
    from edge.assets.catalogue import AssetRecord, DerivedRecord, Removed  # noqa: PLC0415
    from edge.assets.invalidate import purge_asset, purge_derived, purge_removed  # noqa: PLC0415

    def purge(what: Any) -> Any:
        if isinstance(what, DerivedRecord):
            return purge_derived(cache, [what])
        if isinstance(what, Removed):
            return purge_removed(cache, [what])
        if isinstance(what, AssetRecord):
            return purge_asset(catalogue, cache, what.asset_id)
        raise TypeError(f"cannot purge {type(what).__name__}")

    return purge


def _chunk_dir(settings: Settings) -> str | None:
    """where chunks of `upload_large` wait (shared by the worker processes)."""
    if settings.cache not in ("", "none") and not settings.cache.startswith("s3://"):
        return f"{settings.cache}/.upload-chunks"
    if not settings.origin.startswith("s3://"):
        return f"{settings.origin}/.edge-originals/.upload-chunks"
    return None


def jobs_for(catalogue: Any) -> Any:
    """the durable job queue beside the catalogue (`edge.assets.jobs`), or None for
    an in-memory catalogue (background work then runs in-process, not durable)."""
    from edge.assets.jobs import JobQueue, jobs_location_for  # noqa: PLC0415

    try:
        return JobQueue(jobs_location_for(catalogue.location))
    except ValueError:
        return None
