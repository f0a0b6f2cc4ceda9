"""Authentication of the Upload API (signed parameters or an unsigned upload preset) and of the
Admin/Analyze APIs (HTTP Basic `api_key:api_secret`), per upload-spec §1.3 and §2.3.

The two never mix: `authenticate_upload` reads only body parameters (an `Authorization` header
is ignored), `verify_basic` reads only the `Authorization` header (body signatures are ignored).

Upload signature (spec §1.3, the SDK's `api_sign_request`): every parameter except `file`,
`api_key`, `signature`, `cloud_name`, `resource_type` (and, on the tags/context endpoints,
`notification_url`/`batch_id`), empty values dropped, lists joined with `,`, `key=value`
strings sorted and joined with `&`, the secret appended, hashed.  Version 2 (SDK default)
escapes `&` inside each `key=value` as `%26`; version 1 does not; both are accepted.  The hash
is chosen from the signature's length (40 hex SHA-1, 64 hex SHA-256).  The v2 digest is
computed by `edge.url.signing.sign_api_params` (one implementation of the SDK's algorithm).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from edge.api.errors import ApiError
from edge.url.signing import sign_api_params

__all__ = [
    "UploadAuth", "authenticate_upload", "api_string_to_sign", "verify_api_signature",
    "verify_basic", "response_signature", "notification_signature", "UNSIGNED_ALLOWED",
    "NON_SIGNABLE_TAG_PARAMS", "MAX_CLOCK_SKEW_S",
]

#: Seconds a signed request's `timestamp` may differ from server time (spec §1.3).
MAX_CLOCK_SKEW_S = 3600
_NEVER_SIGNED = frozenset({"file", "api_key", "signature", "cloud_name", "resource_type"})
#: Not signed on the tags/context endpoints (SDK `_NON_SIGNABLE_NOTIFICATION_PARAMS`).
NON_SIGNABLE_TAG_PARAMS = frozenset({"notification_url", "batch_id"})
#: What an unsigned (preset) request may set itself (spec §1.3 [inferred list]); everything
#: else comes from the preset, or is refused with a 400 naming the parameter.
UNSIGNED_ALLOWED = frozenset({
    "upload_preset", "file", "timestamp", "cloud_name", "resource_type", "public_id", "folder",
    "asset_folder", "tags", "context", "metadata", "face_coordinates", "custom_coordinates",
    "source", "filename_override", "callback", "display_name", "regions", "public_id_prefix",
    "batch_id",
})
_HASHES = {40: hashlib.sha1, 64: hashlib.sha256}


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _signed_items(params: Mapping[str, Any], exclude: frozenset[str]) -> dict[str, str]:
    items = {}
    for key, value in params.items():
        if key in _NEVER_SIGNED or key in exclude:
            continue
        text = _text(value)
        if text:
            items[key] = text
    return items


def api_string_to_sign(params: Mapping[str, Any], *, version: int = 2,
                       exclude: frozenset[str] = frozenset()) -> str:
    """The string an Upload API signature covers (without the secret), spec §1.3.

    `params`: values are str or lists of str; `version` 2 escapes `&` inside each
    `key=value` as `%26`, version 1 does not; `exclude`: extra non-signable keys."""
    pairs = [f"{k}={v}" for k, v in _signed_items(params, exclude).items()]
    if version == 2:
        pairs = [p.replace("&", "%26") for p in pairs]
    return "&".join(sorted(pairs))


def verify_api_signature(params: Mapping[str, Any], signature: str, api_secret: str, *,
                         exclude: frozenset[str] = frozenset()) -> bool:
    """True when `signature` (40 hex: SHA-1, 64 hex: SHA-256; case-insensitive) signs `params`
    with `api_secret` under signature version 2 or 1.  Constant-time comparison; never raises
    for string input."""
    sig = signature.strip().lower()
    h = _HASHES.get(len(sig))
    if h is None or not api_secret:
        return False
    items = _signed_items(params, exclude)
    algorithm = "sha1" if h is hashlib.sha1 else "sha256"
    v2 = sign_api_params(items, api_secret, algorithm)
    ok = hmac.compare_digest(v2.encode(), sig.encode("ascii", "replace"))
    if any("&" in f"{k}={v}" for k, v in items.items()):  # v1 differs only then
        v1 = h((api_string_to_sign(items, version=1) + api_secret).encode()).hexdigest()
        ok |= hmac.compare_digest(v1.encode(), sig.encode("ascii", "replace"))
    return ok


def response_signature(public_id: str, version: int | str, api_secret: str,
                       algorithm: str = "sha1") -> str:
    """The `signature` field of an upload response: hex H(`public_id=<id>&version=<v>` +
    secret), always signature version 1 (SDK `verify_api_response_signature`, spec §1.3)."""
    h = hashlib.sha256 if algorithm == "sha256" else hashlib.sha1
    return h(f"public_id={public_id}&version={version}{api_secret}".encode()).hexdigest()


def notification_signature(body: bytes, timestamp: int | str, api_secret: str,
                           algorithm: str = "sha1") -> str:
    """`X-Cld-Signature` of a webhook: hex H(raw body + timestamp + secret), plain
    concatenation, not HMAC (spec §6; SDK `verify_notification_signature`)."""
    h = hashlib.sha256 if algorithm == "sha256" else hashlib.sha1
    return h(body + str(timestamp).encode() + api_secret.encode()).hexdigest()


@dataclass(frozen=True)
class UploadAuth:
    """Who sent an Upload API request.

    * `signed`: True for a valid signature, False for an unsigned preset request.
    * `api_key`: the key of a signed request ('' for unsigned).
    * `preset`: the named upload preset's settings (dict) or None; `preset_name`.
    * `algorithm`: `sha1` or `sha256`, the hash of the request's signature (the response
      `signature` uses the same: the SDK verifies it with its configured algorithm)."""

    signed: bool
    api_key: str = ""
    preset_name: str | None = None
    preset: dict[str, Any] = field(default_factory=dict)
    algorithm: str = "sha1"


def _stale_message(ts: int, now: float) -> str:
    when = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")
    if ts < now:
        return f"Stale request - reported time is {when} which is more than 1 hour ago"
    return f"Stale request - reported time is {when} which is more than 1 hour in the future"


def _preset_fields(preset: Any) -> tuple[bool, dict[str, Any]]:
    """(unsigned, settings) of a preset given as an `edge.assets.catalogue.UploadPreset` or a
    mapping with the same keys."""
    if isinstance(preset, Mapping):
        return bool(preset.get("unsigned")), dict(preset.get("settings") or {})
    return bool(preset.unsigned), dict(preset.settings or {})


def authenticate_upload(
    params: Mapping[str, Any], *, api_key: str, api_secret: str,
    lookup_preset: Callable[[str], Any] | None = None, now: float | None = None,
    exclude: frozenset[str] = frozenset(),
) -> UploadAuth:
    """Check an Upload API request's parameters and return who sent it.

    Signed (`signature` present): `api_key` must be the configured key (else 401 `Unknown API
    key <key>`), `timestamp` an integer within ±`MAX_CLOCK_SKEW_S` of `now` (else 400 `Stale
    request - ...`), and the signature valid (else 401 `Invalid Signature <sig>. String to
    sign - '<s>'.`).  A named `upload_preset` then only supplies defaults.
    Unsigned (no signature, `upload_preset` given): `lookup_preset(name)` must return a preset
    marked unsigned (else 400 `Upload preset not found` / 400 `Upload preset must be
    whitelisted for unsigned uploads`) and every parameter must be in `UNSIGNED_ALLOWED`
    (else 400 naming it).  Neither: 400 `Missing required parameter - api_key`.
    Raises `ApiError` for every failure.
    """
    now = time.time() if now is None else now
    signature = _text(params.get("signature")).strip()
    preset_name = _text(params.get("upload_preset")).strip() or None
    preset: dict[str, Any] = {}
    unsigned_ok = False
    if preset_name is not None:
        found = lookup_preset(preset_name) if lookup_preset is not None else None
        if found is None:
            raise ApiError(400, f"Upload preset not found - {preset_name}")
        unsigned_ok, preset = _preset_fields(found)
    if not signature:
        if preset_name is None:
            if not _text(params.get("api_key")):
                raise ApiError(400, "Missing required parameter - api_key")
            raise ApiError(400, "Missing required parameter - signature")
        if not unsigned_ok:
            raise ApiError(400, "Upload preset must be whitelisted for unsigned uploads")
        extra = sorted(k.removesuffix("[]") for k in params if k.removesuffix("[]") not in UNSIGNED_ALLOWED)
        if extra:
            raise ApiError(400, f"{extra[0]} parameter is not allowed when using unsigned upload. "
                                f"Only {','.join(sorted(UNSIGNED_ALLOWED))} upload parameters are allowed.")
        return UploadAuth(False, "", preset_name, preset)
    key = _text(params.get("api_key")).strip()
    if not key:
        raise ApiError(400, "Missing required parameter - api_key")
    if not api_secret or not api_key:
        raise ApiError(401, "Signed requests are disabled: no api_key/api_secret is configured")
    if not hmac.compare_digest(key.encode(), api_key.encode()):
        raise ApiError(401, f"Unknown API key {key}")
    ts_text = _text(params.get("timestamp")).strip()
    if not ts_text:
        raise ApiError(400, "Missing required parameter - timestamp")
    try:
        ts = int(ts_text)
    except ValueError:
        raise ApiError(400, f"Invalid timestamp - {ts_text[:40]}") from None
    if abs(now - ts) > MAX_CLOCK_SKEW_S:
        if not (-(2**40) < ts < 2**40):
            raise ApiError(400, f"Invalid timestamp - {ts_text[:40]}")
        raise ApiError(400, _stale_message(ts, now))
    if not verify_api_signature(params, signature, api_secret, exclude=exclude):
        raise ApiError(401, f"Invalid Signature {signature[:128]}. String to sign - "
                            f"'{api_string_to_sign(params, exclude=exclude)}'.")
    return UploadAuth(True, key, preset_name, preset, "sha256" if len(signature) == 64 else "sha1")


def verify_basic(authorization: str | None, *, api_key: str, api_secret: str) -> str:
    """Check an `Authorization: Basic base64(api_key:api_secret)` header (Admin and Analyze
    APIs, spec §2.3); return the api_key.  Raises `ApiError(401)` (with `WWW-Authenticate`)
    for a missing/malformed header or wrong credentials; comparison is constant time."""
    challenge = {"WWW-Authenticate": 'Basic realm="Edge Admin API"'}
    if not api_key or not api_secret:
        raise ApiError(401, "Admin API is disabled: no api_key/api_secret is configured", headers=challenge)
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise ApiError(401, "Must supply api_key", headers=challenge)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise ApiError(401, "Invalid Authorization header", headers=challenge) from None
    key, sep, secret = decoded.partition(":")
    key_ok = hmac.compare_digest(key.encode(), api_key.encode())
    secret_ok = hmac.compare_digest(secret.encode(), api_secret.encode())
    if not sep or not key_ok:
        raise ApiError(401, f"Invalid api_key {key[:64]}", headers=challenge)
    if not secret_ok:
        raise ApiError(401, "Invalid api_secret", headers=challenge)
    return key
