"""Signatures: delivery URLs (`s--<sig>--`, spec §17) and upload-API requests (spec §18.1).

Delivery: `sig = urlsafe_b64(H(to_sign + api_secret))[:n]` where `to_sign` is the raw text of
the components joined by `/`, then `/`, then the escaped public ID with its extension; the
version, SEO suffix, host, cloud, resource and delivery types are not signed.  H is SHA-1
(n=8), SHA-256 (n=8) or SHA-256 with n=32 ("long").  Comparison is constant time
(`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any, Mapping

from .errors import UrlError
from .path import SIGNATURE_RE, RawPath, split_path, strip_query

__all__ = ["sign_path", "verify_signature", "sign_api_params", "string_to_sign", "delivery_signature"]

_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
_TEXT_STYLE = re.compile(r"(?<=[lu]_text:)[^:,/]*")
_DETECT = "\x00detect"  # cloud_name sentinel: cloud-less when the path starts with a type


def _hash(algorithm: str):
    try:
        return _ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(f"Unknown signature algorithm: {algorithm}") from None


def delivery_signature(to_sign: str, api_secret: str, *, algorithm: str = "sha1", long: bool = False) -> str:
    """The signature body (8 chars, or 32 when `long`; `long` forces SHA-256) for `to_sign`."""
    h = hashlib.sha256 if long else _hash(algorithm)
    digest = h((to_sign + api_secret).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[: 32 if long else 8]


def _split(path: str, root_path: bool) -> RawPath:
    if not root_path and isinstance(path, str):
        first = path[1:].split("/", 1)[0]
        root_path = SIGNATURE_RE.match(first) is not None  # `/s--sig--/...` on a private-CDN root
    return split_path(path, cloud_name=_DETECT, root_path=root_path)


def string_to_sign(raw: RawPath) -> str:
    """The text a delivery signature covers for the split path `raw` (spec §17.1)."""
    source = raw.public_id_text
    if raw.suffix is not None:
        base, dot, ext = raw.suffix.rpartition(".")
        if dot and base:
            source += "." + ext
    return "/".join(p for p in (*raw.components, source) if p)


def sign_path(path: str, api_secret: str, *, algorithm: str = "sha1", long: bool = False,
              root_path: bool = False) -> str:
    """Return `path` with `s--<sig>--` inserted after the delivery type (an existing signature
    segment is replaced; a query string is dropped).

    `algorithm` is 'sha1' or 'sha256'; `long=True` gives the 32-char SHA-256 form;
    `root_path=True` for the private-CDN root form (`/<components>/<public_id>`).  Paths that
    start with a resource type or short form are taken as cloud-less.  Raises UrlError for a
    malformed path, ValueError for an unknown algorithm.
    """
    raw = _split(path, root_path)
    rest = strip_query(path)[len(raw.prefix) + 1 :]
    if raw.signature is not None:
        rest = rest.split("/", 1)[1]
    sig = delivery_signature(string_to_sign(raw), api_secret, algorithm=algorithm, long=long)
    return f"{raw.prefix}/s--{sig}--/{rest}"


def verify_signature(path: str, api_secret: str, *, root_path: bool = False) -> bool:
    """True if the `s--<sig>--` segment of the raw `path` is valid for `api_secret`.

    8-char signatures are checked as SHA-1 and SHA-256, 32-char ones as SHA-256.  A second
    payload with `%20` decoded inside text-overlay styles is also tried (the Node SDK signs the
    font name with a real space, spec §17.4).  Returns False for a missing signature or a
    malformed path; never raises for string input.  A path starting with the signature segment
    is taken as the root-path form (`root_path=True` forces it).
    """
    try:
        raw = _split(path, root_path)
    except UrlError:
        return False
    if raw.signature is None:
        return False
    payloads = [string_to_sign(raw)]
    if "_text:" in payloads[0] and "%20" in payloads[0]:
        payloads.append(_TEXT_STYLE.sub(lambda m: m.group(0).replace("%20", " "), payloads[0]))
    given = raw.signature.encode("ascii")
    ok = False
    for payload in payloads:
        if len(given) == 32:
            candidates = [delivery_signature(payload, api_secret, long=True)]
        else:
            candidates = [delivery_signature(payload, api_secret, algorithm=a) for a in ("sha1", "sha256")]
        for candidate in candidates:
            ok |= hmac.compare_digest(candidate.encode("ascii"), given)
    return ok


_UNSIGNED_API_PARAMS = frozenset({"file", "api_key", "resource_type", "signature"})


def sign_api_params(params: Mapping[str, Any], api_secret: str, algorithm: str = "sha1") -> str:
    """Upload/Admin API request signature (hex), as the SDK's `api_sign_request` (v2).

    Parameters `file`, `api_key`, `resource_type`, `signature` and falsy values are skipped;
    lists are joined with `,`, `True` becomes `true`; each `key=value` has `&` replaced by
    `%26`; the strings are sorted, joined with `&`, the secret appended, and hashed with
    SHA-1 (default) or SHA-256.  Raises ValueError for an empty secret or unknown algorithm.
    """
    if not api_secret:
        raise ValueError("Must supply api_secret")
    items = []
    for key, value in params.items():
        if key in _UNSIGNED_API_PARAMS or not value:
            continue
        if isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true"
        else:
            text = str(value)
        items.append(f"{key}={text}".replace("&", "%26"))
    to_sign = "&".join(sorted(items))
    return _hash(algorithm)((to_sign + api_secret).encode("utf-8")).hexdigest()
