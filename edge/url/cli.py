"""`edge url parse PATH` (AST as JSON) and `edge url sign PATH --secret S [--sha256] [--long]`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from .canonical import canonical
from .errors import UrlError
from .parser import parse
from .signing import sign_path

__all__ = ["register", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert AST nodes (dataclasses, tuples) to JSON-ready dicts/lists; dataclasses get a
    `"node"` field with their class name."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"node": type(obj).__name__}
        for f in dataclasses.fields(obj):
            out[f.name] = to_jsonable(getattr(obj, f.name))
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    return obj


def _parse_cmd(args: argparse.Namespace) -> int:
    try:
        request = parse(args.path, cloud_name=args.cloud_name, root_path=args.root_path)
    except UrlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = to_jsonable(request)
    data["canonical"] = canonical(request)
    print(json.dumps(data, indent=2 if args.pretty else None, ensure_ascii=False))
    return 0


def _sign_cmd(args: argparse.Namespace) -> int:
    if not args.secret:  # `--secret "$EDGE_API_SECRET"` with the variable unset: no server accepts it
        print("error: --secret is empty (is EDGE_API_SECRET exported in this shell?)", file=sys.stderr)
        return 2
    try:
        print(sign_path(args.path, args.secret, algorithm="sha256" if args.sha256 else "sha1", long=args.long))
    except UrlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: Any) -> None:
    """Add the `url` command family (`parse`, `sign`) to an argparse sub-parsers object."""
    url = subparsers.add_parser("url", help="parse and sign delivery URLs")
    sub = url.add_subparsers(dest="url_command", required=True)
    p = sub.add_parser("parse", help="print the AST of a delivery path as JSON")
    p.add_argument("path", help="raw delivery path, e.g. /demo/image/upload/w_100/sample.jpg")
    p.add_argument("--cloud-name", default=None, help="cloud for cloud-less paths")
    p.add_argument("--root-path", action="store_true", help="path is the private-CDN root form")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.set_defaults(func=_parse_cmd)
    s = sub.add_parser("sign", help="print the path with its s--<sig>-- segment")
    s.add_argument("path")
    s.add_argument("--secret", required=True, help="API secret")
    s.add_argument("--sha256", action="store_true", help="SHA-256 instead of SHA-1")
    s.add_argument("--long", action="store_true", help="32-char SHA-256 signature")
    s.set_defaults(func=_sign_cmd)
