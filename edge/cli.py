"""The `edge` command: `edge url parse|sign ...` and `edge serve ...`.

Each sub-command family lives with its package (`edge.url.cli`, `edge.server.cli`) and adds
itself to the parser through a `register(subparsers)` function; this module only wires them.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="edge", description="Cloudinary-compatible image CDN edge server")
    sub = parser.add_subparsers(dest="command", required=True)
    from edge.url import cli as url_cli

    url_cli.register(sub)
    try:
        from edge.server import cli as server_cli
    except ImportError:  # pragma: no cover - server package not installed/built yet
        server_cli = None
    if server_cli is not None:
        server_cli.register(sub)
        _register_ingest(sub)  # issue 10
    # issue 12: `edge analyze FILE|URL --model coco [--json]` (edge.api.analyze_cli)
    from edge.api import analyze_cli

    analyze_cli.register(sub)
    return parser


# ---- issue 10: bulk ingestion, `edge upload PATH...` and `edge import DIR|s3://bucket/prefix` ----
def _register_ingest(sub: Any) -> None:
    """Add `upload` and `import` (flags of `edge serve` choose the origin and catalogue)."""
    from edge.server.settings import Settings

    for name, text in (("upload", "upload files or folders into the catalogue and the origin"),
                       ("import", "import an image library (a folder or s3://bucket/prefix), resumably")):
        p = sub.add_parser(name, help=text, description=text + ", through the Upload API code path in "
                           "this process; files already stored with the same etag are skipped.")
        if name == "upload":
            p.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
        else:
            p.add_argument("source", metavar="DIR|s3://bucket/prefix", help="library to import")
        p.add_argument("--folder", default="", help="public_id prefix (folder/...)")
        p.add_argument("--tags", default="", help="comma-separated tags for every asset")
        p.add_argument("--concurrency", type=int, default=4, help="uploads at once (default 4)")
        p.add_argument("--delivery-type", default="upload", choices=("upload", "private", "authenticated"))
        Settings.add_arguments(p)
        p.set_defaults(func=_run_ingest)


def _run_ingest(args: argparse.Namespace) -> int:
    """Run `edge upload` / `edge import`; prints the JSON report on stdout; exit 0 when every
    file is stored or skipped, 1 when some failed, 2 for bad arguments."""
    import json
    import secrets
    from dataclasses import replace

    from edge.assets import ingest
    from edge.server.app import catalogue_for, create_app
    from edge.server.settings import Settings

    prog = f"edge {args.command}"
    try:
        settings = Settings.from_args(args)
        if args.concurrency < 1:
            raise ValueError("--concurrency must be >= 1")
        if not (settings.api_key and settings.api_secret):  # the app is private to this process
            settings = replace(settings, api_key="ingest", api_secret=secrets.token_hex(16))
        if args.command == "upload":
            items = list(ingest.discover_paths(args.paths, folder=args.folder))
        elif args.source.startswith("s3://"):
            from edge.storage.s3util import make_s3_client

            items = list(ingest.discover_s3(make_s3_client(settings.s3_endpoint or None), args.source,
                                            folder=args.folder))
        else:
            if not os.path.isdir(args.source):
                raise ValueError(f"not a folder: {args.source}")
            items = list(ingest.discover_dir(args.source, folder=args.folder))
        # the destination folder is made, as `cp -r` would (not for S3 or a plug-in origin)
        if not settings.origin.startswith("s3://") and "origin" not in settings.seam_imports:
            os.makedirs(settings.origin, exist_ok=True)
        app = create_app(settings)
        catalogue = app.state.edge.deriver.catalogue or catalogue_for(settings)
        if ":memory:" in catalogue.location:
            raise ValueError("no durable catalogue for this origin and cache: set --catalogue")
    except (ValueError, OSError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    tags = [t.strip() for t in args.tags.split(",") if t.strip()]
    with ingest.AppUploader(app, cloud_name=settings.cloud_name, api_key=settings.api_key,
                            api_secret=settings.api_secret, tags=tags, type=args.delivery_type) as upload:
        report = ingest.ingest(items, catalogue=catalogue, upload=upload, type=args.delivery_type,
                               concurrency=args.concurrency, total=len(items),
                               progress=ingest.Progress(len(items), label=args.command))
    print(json.dumps(report.as_dict()))
    return 1 if report.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `edge` console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
