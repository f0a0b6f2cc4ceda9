"""The `edge` command: `edge url parse|sign ...` and `edge serve ...`.

Each sub-command family lives with its package (`edge.url.cli`, `edge.server.cli`) and adds
itself to the parser through a `register(subparsers)` function; this module only wires them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

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
    return parser


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
