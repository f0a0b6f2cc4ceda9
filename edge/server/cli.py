"""`edge serve`: run the Edge server with uvicorn (uvloop + httptools)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from edge.server.settings import Settings

__all__ = ["register", "serve"]


def register(subparsers: Any) -> None:
    """Add the `serve` sub-command to an argparse sub-parsers object."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the image delivery server",
        description="Serve Cloudinary-compatible delivery URLs. Every flag is also an EDGE_<NAME> variable.",
    )
    Settings.add_arguments(p)
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    """Start uvicorn with the settings from `args` over the environment; returns exit status."""
    import uvicorn

    settings = Settings.from_args(args)
    os.environ.update(settings.to_env())  # worker processes rebuild the same settings
    # Parallelism comes from `render_threads` (one render per core); one libvips thread per
    # render avoids oversubscribing the cores.  Must be set before libvips starts.
    os.environ.setdefault("VIPS_CONCURRENCY", "1")
    config: dict[str, Any] = dict(
        host=settings.host, port=settings.port, loop="uvloop", http="httptools",
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level, timeout_keep_alive=30,
    )
    if settings.workers > 1:
        uvicorn.run("edge.server.app:create_app_from_env", factory=True, workers=settings.workers, **config)
    else:
        from edge.server.app import create_app

        uvicorn.run(create_app(settings), **config)
    return 0
