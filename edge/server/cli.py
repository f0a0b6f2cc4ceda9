"""`edge serve`: run the Edge server with uvicorn (uvloop + httptools)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

from edge.server.settings import Settings

__all__ = ["register", "serve"]

#: File names prometheus-client writes in its multiprocess directory.
_METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def register(subparsers: Any) -> None:
    """Add the `serve` sub-command to an argparse sub-parsers object."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the image delivery server",
        description="Serve Cloudinary-compatible delivery URLs. Every flag is also an EDGE_<NAME> variable.",
    )
    Settings.add_arguments(p)
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    """Start uvicorn with the settings from `args` over the environment; returns the exit
    status (2, with the message on stderr, for a bad setting)."""
    import uvicorn

    from edge.server.http_limits import PROTOCOL_PATH

    try:
        settings = Settings.from_args(args)
    except ValueError as exc:
        print(f"edge serve: {exc}", file=sys.stderr)
        return 2
    try:  # fail here, once, not inside every worker process
        from edge.seams import load_callable
        from edge.server.named import load_named_transformations

        load_named_transformations(settings.named_transformations, cloud_name=settings.cloud_name)
        for seam, specs in settings.seam_imports.items():  # issue 13: every plug-in imports
            for spec in specs:
                load_callable(spec, seam)
    except ValueError as exc:
        print(f"edge serve: {exc}", file=sys.stderr)
        return 2
    problem = None if "origin" in settings.seam_imports else _origin_problem(settings.origin)
    if problem:  # a 503 to every request would tell caches to retry a server that cannot work
        print(f"edge serve: {problem}", file=sys.stderr)
        return 2
    os.environ.update(settings.to_env())  # worker processes rebuild the same settings
    # Parallelism comes from `render_threads` (one render per core); one libvips thread per
    # render avoids oversubscribing the cores.  Must be set before libvips starts.
    os.environ.setdefault("VIPS_CONCURRENCY", "1")
    config: dict[str, Any] = dict(
        host=settings.host, port=settings.port, loop="uvloop", http=PROTOCOL_PATH,
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level, timeout_keep_alive=30,
        access_log=False,  # edge.server.access_log writes one structured line per request
    )
    with _metrics_dir(shared=settings.workers > 1):
        if settings.workers > 1:
            uvicorn.run("edge.server.app:create_app_from_env", factory=True, workers=settings.workers, **config)
            return 0
        from edge.server.app import create_app

        try:
            app = create_app(settings)
        except ValueError as exc:  # named transformations file, a seam's plug-in (edge.seams)
            print(f"edge serve: {exc}", file=sys.stderr)
            return 2
        uvicorn.run(app, **config)
    return 0


def _origin_problem(location: str) -> str | None:
    """Why the disk origin `location` cannot serve (missing, not a directory, unreadable), or
    None (also for `s3://` origins: a bucket that is down now may be back later, so S3 outages
    stay 503s at request time)."""
    if location.startswith("s3://"):
        return None
    from edge.storage import DiskOrigin, OriginUnavailable

    try:
        DiskOrigin(location).check()
    except OriginUnavailable:
        where = Path(location).resolve()
        return (f"origin directory {location!r} ({where}) is missing, not a directory or not readable; "
                "point --origin (EDGE_ORIGIN) at the folder of originals or an s3://bucket/prefix")
    return None


@contextlib.contextmanager
def _metrics_dir(*, shared: bool) -> Iterator[None]:
    """Prepare prometheus-client's multiprocess directory (`PROMETHEUS_MULTIPROC_DIR`, see
    `edge.server.metrics`).  A directory given by the environment is cleared of old metric
    files (the library needs an empty one at start) and kept.  Else, when `shared` (several
    workers, which are spawned and so inherit the variable before they import the library), a
    temporary one is made and removed at exit; else nothing is done."""
    from edge.server.metrics import MULTIPROC_ENV

    given = os.environ.get(MULTIPROC_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for pattern in _METRIC_FILES:
            for old in Path(given).glob(pattern):
                old.unlink(missing_ok=True)
    if given or not shared:
        yield
        return
    made = tempfile.mkdtemp(prefix="edge-metrics-")
    os.environ[MULTIPROC_ENV] = made
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)
