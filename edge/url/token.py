"""Token-based delivery authentication: the `__cld_token__` query parameter or cookie
(url-spec §18.4; the Akamai-style token the official SDKs build with `auth_token={"key": ...}`).

A token is `~`-separated `name=value` fields, in this order: optional `ip=<address>`, optional
`st=<start, unix s>`, `exp=<expiry, unix s>`, then either `acl=<pattern>[!<pattern>...]` or
nothing (a token bound to one URL), then `hmac=<64 hex>`.  The HMAC is HMAC-SHA256 keyed with
the hex-decoded token key over the fields before `hmac` joined by `~`, plus `~url=<path>` when the
token has no ACL.  Paths and ACL patterns are compared in the *token form*: the characters
`` "#%&'/:;<=>?@[\\]^`{|}~`` and space percent-encoded (lowercase hex), applied to the request
path exactly as it arrived (so an already escaped `%20` becomes `%2520`, as the SDK signs it).
An ACL pattern's `*` matches any run of characters (`/demo/image/authenticated/*`).

`parse_token` splits a token (TokenError on a malformed one); `verify_token` checks one against a
request path, time and client address (TokenError naming the reason: the caller answers 401).
Comparison of the HMAC is constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

__all__ = ["TOKEN_NAME", "Token", "TokenError", "parse_token", "token_form", "verify_token", "token_from"]

#: Query parameter and cookie name of a delivery token (url-spec §18.4).
TOKEN_NAME = "__cld_token__"
#: Longest token text read (bytes); a longer one is refused before any parsing.
MAX_TOKEN_CHARS = 4096
_UNSAFE = re.compile(r"[ \"#%&'/:;<=>?@\[\\\]^`{|}~]")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_ORDER = ("ip", "st", "exp", "acl")


class TokenError(ValueError):
    """A malformed, expired, not-yet-valid or wrong token (HTTP 401 at delivery)."""


@dataclass(frozen=True, slots=True)
class Token:
    """A parsed delivery token: `fields` the signed `(name, value)` pairs in their order,
    `start`/`expiry` unix seconds (start None when absent), `ip` the bound client address or
    None, `acl` the ACL patterns in token form (empty: the token is bound to one URL), `hmac`
    the lowercase hex digest."""

    fields: tuple[tuple[str, str], ...]
    start: int | None
    expiry: int
    ip: str | None
    acl: tuple[str, ...]
    hmac: str


def token_form(path: str) -> str:
    """`path` with the token's unsafe characters percent-encoded, lowercase hex (`/a b` ->
    `%2fa%20b`); the form both URL-bound tokens and ACL patterns are signed in."""
    return _UNSAFE.sub(lambda m: "%{:02x}".format(ord(m.group(0))), path)


def _int(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise TokenError(f"token {name} is not a unix time")
    return int(value)


def parse_token(text: str) -> Token:
    """Split the value of `__cld_token__` (with or without the `__cld_token__=` prefix) into a
    Token.  Raises TokenError: too long, a field without `=`, an unknown, repeated or
    out-of-order field, no `exp`, no 64-hex `hmac` last."""
    if len(text) > MAX_TOKEN_CHARS:
        raise TokenError("token too long")
    if text.startswith(TOKEN_NAME + "="):
        text = text[len(TOKEN_NAME) + 1:]
    parts = text.split("~")
    pairs: list[tuple[str, str]] = []
    for part in parts:
        name, eq, value = part.partition("=")
        if not eq or not value:
            raise TokenError("malformed token field")
        pairs.append((name, value))
    *signed, last = pairs
    if last[0] != "hmac" or not _HEX64.fullmatch(last[1]):
        raise TokenError("token has no hmac")
    seen = [name for name, _ in signed]
    if any(name not in _ORDER for name in seen):
        raise TokenError("token has an unknown field")
    if seen != sorted(set(seen), key=_ORDER.index):
        raise TokenError("token fields repeated or out of order")
    values = dict(signed)
    if "exp" not in values:
        raise TokenError("token has no exp")
    acl = tuple(values["acl"].split("!")) if "acl" in values else ()
    return Token(fields=tuple(signed), start=_int(values["st"], "st") if "st" in values else None,
                 expiry=_int(values["exp"], "exp"), ip=values.get("ip"), acl=acl, hmac=last[1].lower())


def _acl_matches(pattern: str, path: str) -> bool:
    regex = ".*".join(re.escape(piece) for piece in pattern.split("*"))
    return re.fullmatch(regex, path) is not None


def verify_token(token: Token, path: str, key_hex: str, *, now: float | None = None,
                 client_ip: str | None = None) -> None:
    """Accept `token` for the request path `path` (as received, before unescaping; no query)
    under the hex token key `key_hex` at `now` (unix s, default the clock) from `client_ip`.
    Raises TokenError: a bad key, a wrong HMAC, not yet valid (`st` in the future), expired
    (`exp` <= now), another client address, or a path outside the ACL."""
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise TokenError("the token key is not hex") from None
    message = "~".join(f"{name}={value}" for name, value in token.fields)
    form = token_form(path)
    if not token.acl:
        message += f"~url={form}"
    expected = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, token.hmac):
        raise TokenError("Invalid token")
    now = time.time() if now is None else now
    if token.start is not None and now < token.start:
        raise TokenError("token not yet valid")
    if now >= token.expiry:
        raise TokenError("token expired")
    if token.ip is not None and token.ip != client_ip:
        raise TokenError("token bound to another address")
    if token.acl and not any(_acl_matches(p, form) for p in token.acl):
        raise TokenError("path outside the token's ACL")


def token_from(query: str, cookie_header: str | None) -> str | None:
    """The raw `__cld_token__` value from a query string (first wins) or, failing that, from a
    `Cookie` header; None when neither carries one.  The value is taken as sent, not
    percent-decoded: an ACL travels in token form (`acl=%2fdemo%2f*`) and is signed so."""
    if query:
        for item in query.split("&"):
            name, eq, value = item.partition("=")
            if name == TOKEN_NAME and eq:
                return value
    if cookie_header and TOKEN_NAME in cookie_header:
        for item in cookie_header.split(";"):
            name, eq, value = item.strip().partition("=")
            if name == TOKEN_NAME and eq:
                return value.strip().strip('"')
    return None
