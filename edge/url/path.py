"""Splitting a raw delivery path into its parts (spec §1, §2) with plain string operations.

`split_path` does the layout work shared by the parser and the signature verifier: cloud
segment, resource type, short forms (`iu`, `images`, `files`, root path), delivery type,
signature segment, the component texts, version, public ID text and SEO suffix.  It does not
parse component contents (that is `edge.url.component`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .component import looks_like_component
from .errors import SignatureSegmentError, UrlError
from .numeric import to_int

__all__ = ["RawPath", "split_path", "strip_query", "RESOURCE_TYPES", "DELIVERY_TYPES", "SIGNATURE_RE"]

RESOURCE_TYPES = frozenset({"image", "video", "raw"})
SHORT_FORMS = {"iu": ("image", "upload"), "images": ("image", "upload"), "files": ("raw", "upload"),
               # SEO forms of the other delivery types (the Node SDK writes them for url_suffix)
               "private_images": ("image", "private"), "authenticated_images": ("image", "authenticated")}
SEO_FORMS = frozenset({"images", "files", "private_images", "authenticated_images"})
DELIVERY_TYPES = frozenset(
    """
    upload private authenticated fetch list facebook twitter twitter_name gravatar youtube hulu
    vimeo animoto worldstarhiphop dailymotion sprite multi text asset
    """.split()
)
SIGNATURE_RE = re.compile(r"s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--\Z")
#: anything shaped like a signature segment (any length, empty included): `s----`, `s--AGl6-MQ--`
_SIGNATURE_SHAPE = re.compile(r"s--[A-Za-z0-9_-]*--\Z")
_VERSION = re.compile(r"v(\d+)\Z")
_MAX_PATH = 8192


@dataclass(frozen=True, slots=True)
class RawPath:
    """The layout of a raw (percent-encoded) delivery path.

    `prefix` is the path up to and including the delivery type (or short form) segment, used
    to re-insert a signature; `components` are the raw component texts; `public_id_text` is the
    raw text after the version (with the extension, without the SEO suffix); `suffix` is the
    raw last segment under `images/`/`files/` (`name.jpg`) or None.
    """

    cloud_name: str | None
    resource_type: str
    delivery_type: str
    short_form: str | None
    signature: str | None
    components: tuple[str, ...]
    version: int | None
    public_id_text: str
    suffix: str | None
    prefix: str


def strip_query(path: str) -> str:
    """`path` without its query string or fragment (`/a/b.jpg?x=1#f` -> `/a/b.jpg`)."""
    return path.split("?", 1)[0].split("#", 1)[0]


def split_path(path: str, *, cloud_name: str | None = None, root_path: bool = False) -> RawPath:
    """Split a raw delivery path (`/<cloud>/image/upload/.../v1/id.jpg[?query]`) into parts.

    With `cloud_name` set, a path starting with a resource type or short form is taken as the
    cloud-less form.  With `root_path=True` the path holds only an optional signature,
    components, version and public ID (image/upload on a private-CDN host; SEO suffixes are not
    recognised in that form).  A segment before the public ID is a component when it looks like
    one (`edge.url.component.looks_like_component`); a non-component segment followed by an
    explicit `v<digits>` is an error.  Raises UrlError for a malformed layout, and its subclass
    SignatureSegmentError for a malformed signature segment or a signature-shaped segment
    anywhere but right after the delivery type (after a component, repeated, in a folder).
    """
    if not isinstance(path, str):
        raise UrlError("Invalid path")
    path = strip_query(path)
    if len(path) > _MAX_PATH:
        raise UrlError("Path too long")
    if not path.startswith("/"):
        raise UrlError("Path must start with /")
    segments = path[1:].split("/")
    pos = 0
    n = len(segments)
    cloud = cloud_name
    short_form = None

    def take(what: str) -> str:
        nonlocal pos
        if pos >= n or not segments[pos]:
            raise UrlError(f"Missing {what}")
        pos += 1
        return segments[pos - 1]

    if root_path:
        resource_type, delivery_type, short_form = "image", "upload", "root"
    else:
        first = segments[0]
        if cloud_name is None or not (first in RESOURCE_TYPES or first in SHORT_FORMS):
            cloud = take("cloud name")
        rtype = take("resource type")
        if rtype in SHORT_FORMS:
            resource_type, delivery_type = SHORT_FORMS[rtype]
            short_form = rtype
        elif rtype in RESOURCE_TYPES:
            resource_type = rtype
            delivery_type = take("delivery type")
            if delivery_type not in DELIVERY_TYPES:
                raise UrlError(f"Invalid delivery type: {delivery_type}")
        else:
            raise UrlError(f"Invalid resource type: {rtype}")
    prefix = "/" + "/".join(segments[:pos]) if pos else ""
    signature = None
    if pos < n - 1 and segments[pos].startswith("s--"):
        m = SIGNATURE_RE.match(segments[pos])
        if not m:
            raise SignatureSegmentError(f"Invalid signature segment: {segments[pos][:80]}")
        signature = m.group(1)
        pos += 1
    components: list[str] = []
    version = None
    fetch = delivery_type == "fetch"
    if not fetch:  # a signature segment anywhere but right after the delivery type
        for seg in segments[pos : n - 1]:
            if _SIGNATURE_SHAPE.match(seg):
                raise SignatureSegmentError(f"Misplaced signature segment: {seg[:80]}")
    while pos < n - 1:
        seg = segments[pos]
        m = _VERSION.match(seg)
        if m:
            version = to_int(m.group(1), "version")
            pos += 1
            break
        if seg == "" and not fetch:
            raise UrlError("Empty path segment")
        if looks_like_component(seg):
            components.append(seg)
            pos += 1
            continue
        # not a component: the public ID starts here, unless an explicit version follows
        for later in segments[pos + 1 : n - 1]:
            if _VERSION.match(later) and not fetch:
                raise UrlError(f"Invalid transformation component: {seg[:80]}")
        break
    rest = segments[pos:]
    if not fetch and "" in rest[:-1]:
        rest = [seg for seg in rest[:-1] if seg] + rest[-1:]  # `v1//name.jpg`: `//` collapses (SDK)
    suffix = None
    if short_form in SEO_FORMS:
        if len(rest) < 2:
            raise UrlError("SEO URL needs <public_id>/<suffix>")
        suffix = rest.pop()
        if not suffix or suffix.startswith("."):
            raise UrlError("Empty SEO suffix")
    public_id_text = "/".join(rest)
    if not public_id_text or public_id_text.endswith("/") or not fetch and "//" in public_id_text:
        raise UrlError("Missing public ID")
    return RawPath(
        cloud_name=cloud,
        resource_type=resource_type,
        delivery_type=delivery_type,
        short_form=short_form,
        signature=signature,
        components=tuple(components),
        version=version,
        public_id_text=public_id_text,
        suffix=suffix,
        prefix=prefix,
    )
