"""Request bodies of the Upload/Admin APIs read into one parameter mapping (upload-spec §0).

Accepted bodies: `multipart/form-data` (what the SDKs send; read by `edge.api.multipart`: the
file part is streamed into a file, by default a spooled temporary file, in memory up to 1 MiB
then on disk, or the origin's staging file the upload endpoint passes, hashed on the way, so
memory stays flat whatever the upload size), `application/x-www-form-urlencoded` and `application/json`.  Repeated `k[]`
fields become lists under `k`; JSON values are turned into text as a signer writes them
(booleans `"true"`/`"false"`, numbers as text, null as absent-empty) except lists and
objects, kept as lists of strings and dicts.  A NUL or a lone surrogate in any name or value
is a 400.  The body is cut at 4/3 of `max_bytes` (room for a file sent as base64 text) plus a
small allowance for the other fields, and a file part or decoded file above `max_bytes` is
refused too: 413 `File size (<n>) exceeds maximum allowed (<m>)` (nothing stored).
"""

from __future__ import annotations

import json
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Mapping

from starlette.formparsers import FormParser, MultiPartException
from starlette.requests import ClientDisconnect, Request

from edge.api.errors import ApiError
from edge.api.multipart import FilePart, read_multipart

__all__ = ["FilePart", "Body", "read_body", "parse_bool", "FIELDS_ALLOWANCE", "text_param"]

#: Bytes of a body allowed on top of the largest file (the other form fields).
FIELDS_ALLOWANCE = 256 * 1024
MAX_FIELDS = 500


@dataclass
class Body:
    """One API request body: `params` (str, list of str, or dict values; `file` is here when
    sent as text: URL, data URI, base64) and `file_part` (a multipart file part or None).
    `close()` removes the spooled file."""

    params: dict[str, Any] = field(default_factory=dict)
    file_part: FilePart | None = None

    def close(self) -> None:
        if self.file_part is not None:
            try:
                self.file_part.file.close()
            except OSError:
                pass


class _TooLarge(Exception):
    def __init__(self, seen: int) -> None:
        self.seen = seen


def _too_large(n: int, limit: int) -> ApiError:
    return ApiError(413, f"File size ({n}) exceeds maximum allowed ({limit})")


def parse_bool(value: Any, name: str, default: bool = False) -> bool:
    """An Upload/Admin API boolean: `1`/`0`, `true`/`false` (any case), JSON booleans, absent
    or '' -> `default`.  Raises ApiError(400) for anything else."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise ApiError(400, f"Invalid boolean for {name} - {str(value)[:40]}")


def text_param(params: Mapping[str, Any], name: str) -> str:
    """Parameter `name` as text ('' when absent; lists joined with `,` as the SDK signs them).
    Raises ApiError(400) for a JSON object where text is expected."""
    value = params.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        raise ApiError(400, f"Invalid value for {name}: expected text")
    return str(value)


def _put(params: dict[str, Any], key: str, value: Any) -> None:
    if key.endswith("[]"):
        base = key[:-2]
        current = params.get(base)
        if not isinstance(current, list):
            current = [] if current in (None, "") else [current]
        current.append(value)
        params[base] = current
    else:
        params[key] = value


def _check_text(value: Any, name: str) -> None:
    """ApiError(400) when a text (in lists and objects too) holds NUL or a lone surrogate (JSON
    `\\ud800`): neither can be stored or signed as UTF-8."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(400, f"Invalid character (NUL) in parameter {name[:64]!r}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, f"Invalid character (lone surrogate) in parameter {name[:64]!r}") from None
    elif isinstance(value, list):
        for v in value:
            _check_text(v, name)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k, name)
            _check_text(v, name)


def _json_value(value: Any) -> Any:
    if isinstance(value, bool):  # as a signer would have written it (`str(v).lower()`)
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [v if isinstance(v, (dict, list)) else _json_value(v) for v in value]
    return value


async def read_body(request: Request, *, max_bytes: int, open_file: Callable[[], Any] | None = None,
                    executor: Executor | None = None) -> Body:
    """Read `request`'s body (see module docs).  `max_bytes`: the largest file (bytes);
    `open_file`/`executor`: where a multipart file part is written and which threads write it
    (see `edge.api.multipart.read_multipart`).  Raises ApiError 413 (too large), 400 (malformed multipart/JSON, too many fields, client
    gone) and 415 never: an unknown content type is read as no body at all (400 later for a
    missing parameter)."""
    limit = max_bytes * 4 // 3 + FIELDS_ALLOWANCE  # a file sent as base64 text is 4/3 larger
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), max_bytes)

    async def stream() -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise _TooLarge(seen)
            yield chunk

    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = Body()
    try:
        if ctype == "multipart/form-data":
            fields, body.file_part = await read_multipart(
                request.headers, stream(), max_file_bytes=max_bytes, max_field_bytes=max_bytes * 4 // 3 + 4096,
                max_fields=MAX_FIELDS, open_file=open_file, executor=executor)
            for key, value in fields:
                _put(body.params, key, value)
        elif ctype == "application/x-www-form-urlencoded":
            form = await FormParser(request.headers, stream(), max_part_size=max_bytes * 4 // 3 + 4096).parse()
            for key, value in form.multi_items():
                _put(body.params, key, value)
        elif ctype == "application/json" or ctype.endswith("+json"):
            raw = b"".join([chunk async for chunk in stream()])
            if raw.strip():
                try:
                    data = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    raise ApiError(400, "Invalid JSON body") from None
                if not isinstance(data, dict):
                    raise ApiError(400, "Invalid JSON body: expected an object")
                for key, value in data.items():
                    _put(body.params, str(key), _json_value(value))
        else:
            async for _ in stream():  # drain (bounded) so the connection stays usable
                pass
    except _TooLarge as exc:
        body.close()
        raise _too_large(exc.seen, max_bytes) from None
    except MultiPartException as exc:
        body.close()
        if "exceeded maximum size" in exc.message:  # a text field (data URI, base64) too large
            raise ApiError(413, f"File size (>{max_bytes}) exceeds maximum allowed ({max_bytes})") from None
        raise ApiError(400, f"Invalid multipart body: {exc.message}") from None
    except ClientDisconnect:
        body.close()
        raise ApiError(400, "Client disconnected before the body was complete") from None
    except ApiError:
        body.close()
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        body.close()
        raise ApiError(400, f"Invalid request body: {type(exc).__name__}") from None
    try:
        for key, value in body.params.items():
            _check_text(key, "name")
            _check_text(value, key)
    except ApiError:
        body.close()
        raise
    return body
