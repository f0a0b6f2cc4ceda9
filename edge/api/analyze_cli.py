"""`edge analyze FILE|URL --model coco [--json]`: the Analyze API's analysis run locally, no
server (issue 12).

The same model table and envelope as the HTTP API (`edge.analysis.models_v2`): `--json` prints
the exact §5.1 response JSON (``{"request_id", "limits", "data": {"entity", "analysis"}}``,
compact, as the API sends it); without it a readable summary (boxes, tags, scores, text).
A URL is downloaded through `edge.storage.FetchOrigin` (any host; public addresses only
unless `--allow-private`), a FILE read from disk; `--max-source-mb` / `--max-megapixels`
bound it as the server does.  Exit status: 0 done, 1 the source could not be read or
analysed, 2 bad arguments or a model Edge does not offer (the message lists those it does).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Mapping

__all__ = ["register", "run", "summary"]


def register(sub: Any) -> None:
    """Add the `analyze` sub-command to an argparse sub-parsers object."""
    p = sub.add_parser("analyze", help="run an Analyze API model on a file or URL locally",
                       description="Run one Analyze API model (coco, cld_text, image_quality, edge_tagging, "
                                   "faces, ocr, colors, phash, metadata) on an image file or URL, without a server.")
    p.add_argument("source", metavar="FILE|URL", help="image file or http(s) URL")
    p.add_argument("--model", default="coco", help="model name (default coco)")
    p.add_argument("--json", action="store_true", help="print the exact API JSON response")
    p.add_argument("--allow-private", action="store_true", help="let a URL reach loopback/private addresses")
    p.add_argument("--max-source-mb", type=int, default=100, help="largest source, MiB (default 100)")
    p.add_argument("--max-megapixels", type=int, default=100, help="largest source, megapixels (default 100)")
    p.set_defaults(func=run)


def _read(args: argparse.Namespace) -> bytes:
    max_bytes = args.max_source_mb * 1024 * 1024
    if args.source.startswith(("http://", "https://")):
        from edge.storage import FetchOrigin

        origin = FetchOrigin(("*",), max_bytes=max_bytes, allow_private=args.allow_private)
        try:
            return origin.load(args.source).data
        finally:
            origin.close()
    with open(args.source, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"source is larger than {max_bytes} bytes")
    return data


def _box(b: Any) -> str:
    return "[" + ", ".join(f"{float(v):.0f}" for v in b) + "]"


def summary(model: str, analysis: Mapping[str, Any]) -> str:
    """A readable multi-line summary of one model's ``analysis`` (§5.1 shape)."""
    lines = [f"model {model} (model_version {analysis.get('model_version')})"]
    src = analysis.get("edge_source") or {}
    if src:
        lines.append(f"source {src.get('width')}x{src.get('height')} px {src.get('format')}, {src.get('bytes')} bytes")
    tags = analysis.get("tags")
    if isinstance(tags, dict):
        found = sorted(((lab, inst) for lab, insts in tags.items() for inst in insts),
                       key=lambda t: -float(t[1].get("confidence") or 0))
        lines.append(f"{len(found)} box(es):")
        lines += [f"  {lab:<16} {float(i.get('confidence') or 0):.3f}  box {_box(i.get('bounding-box', []))}"
                  for lab, i in found]
    elif isinstance(tags, list):
        lines.append("tags:")
        lines += [f"  {t.get('name'):<24} {float(t.get('confidence') or 0):.3f}" for t in tags]
    if analysis.get("edge_method", "").startswith("heuristic"):
        lines.append(f"method: {analysis['edge_method']}")
    if "quality" in analysis:
        lines.append(f"quality {analysis['quality']}  score {analysis.get('score')}  "
                     f"confidence {analysis.get('confidence')}")
    text = (analysis.get("edge_text") or {}).get("text")
    if text is None and analysis.get("fullTextAnnotation"):
        text = analysis["fullTextAnnotation"].get("text", "").rstrip("\n")
    if text is not None:
        lines.append("text: " + (text.replace("\n", " | ") or "(none)"))
    if "faces" in analysis:
        lines.append(f"{len(analysis['faces'])} face(s): " + " ".join(_box(b) for b in analysis["faces"]))
    if "predominant" in analysis:
        lines.append("colors: " + ", ".join(f"{c} {p}%" for c, p in (analysis.get("colors") or [])[:6]))
    if "phash" in analysis:
        lines.append(f"phash {analysis['phash']}")
    if "image_metadata" in analysis:
        meta = analysis["image_metadata"] or {}
        lines.append(f"{len(meta)} metadata field(s)")
        lines += [f"  {k}: {v}" for k, v in list(meta.items())[:20]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run `edge analyze` (see the module docs); returns the exit status."""
    from edge.analysis import AnalysisError
    from edge.analysis.models_v2 import envelope, resolve, run_model

    try:
        spec = resolve(args.model)
    except AnalysisError as exc:
        print(f"edge analyze: {exc.message}", file=sys.stderr)
        return 2
    try:
        data = _read(args)
        analysis = run_model(data, spec, max_pixels=args.max_megapixels * 1_000_000)
    except (OSError, ValueError) as exc:  # AnalysisError is a ValueError
        print(f"edge analyze: {args.source}: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - storage errors of a URL (refused, 4xx, too large)
        print(f"edge analyze: {args.source}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(envelope(args.source, analysis), ensure_ascii=False, separators=(",", ":")))
    else:
        print(summary(spec.name, analysis))
    return 0
