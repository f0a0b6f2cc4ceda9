"""Access restrictions of an asset (upload-spec §1.2 `access_mode`, `access_control`;
url-spec §1.3): who may receive an `upload`-type asset's original and derived assets without
a signed delivery URL.

* `access_mode`: `public` (default) or `authenticated`: an authenticated asset of delivery
  type `upload` is delivered, original and derived, only with a valid `s--<signature>--`
  segment, as the `authenticated` delivery type always is.
* `access_control`: a list of rules `{"access_type": "anonymous" | "token", "start": ISO 8601,
  "end": ISO 8601}` (`start`/`end` optional, an anonymous rule only), stored in the record's
  `extra["access_control"]`.  As on Cloudinary, an asset with rules is public only while an
  `anonymous` rule's window holds the current time (start inclusive, end exclusive); outside
  every anonymous window (or with `token` rules only) a signature is needed.  Edge verifies
  `s--<signature>--` URL signatures; `__cld_token__` tokens (url-spec §18.4, an Akamai token
  key Edge is not configured with) are not accepted.

`parse_access_control` validates what a client sends (ValueError with a message naming the
problem: the Upload and Admin APIs turn it into a 400); `restriction` is the delivery check;
`public_until` tells delivery when a public answer stops being public (its cache lifetime).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

__all__ = ["ACCESS_MODES", "ACCESS_TYPES", "MAX_RULES", "parse_access_control", "restriction", "public_until"]

#: Values of `access_mode`.
ACCESS_MODES = ("public", "authenticated")
#: Values of an `access_control` rule's `access_type`.
ACCESS_TYPES = ("anonymous", "token")
#: Most rules one asset may carry (a bound on what one request may store).
MAX_RULES = 32
_KEYS = frozenset({"access_type", "start", "end"})


def _instant(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time (`2026-12-07T10:00:00Z`, `...+01:00`, a date alone) as aware UTC;
    a time without offset is UTC (the SDK sends naive `datetime.isoformat()`)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValueError(f"{name} must be an ISO 8601 date-time")
    try:
        when = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 date-time: {value[:40]}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_access_control(value: Any) -> list[dict[str, str]]:
    """Validate `access_control`: a JSON text (what the SDKs send) or an already decoded list
    of rules (or one rule as an object).  Returns the rules normalised: `access_type`, and
    `start`/`end` as UTC `YYYY-MM-DDTHH:MM:SSZ` when given.  An empty list or text clears the
    rules.  Raises ValueError (malformed JSON, not a list of objects, an unknown key or
    access_type, a bad date, `start` not before `end`, a window on a token rule, more than
    `MAX_RULES` rules)."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("expected a JSON list of rules") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("expected a list of rules")
    if len(value) > MAX_RULES:
        raise ValueError(f"at most {MAX_RULES} rules")
    rules: list[dict[str, str]] = []
    for i, rule in enumerate(value):
        if not isinstance(rule, dict):
            raise ValueError(f"rule {i} is not an object")
        unknown = set(rule) - _KEYS
        if unknown:
            raise ValueError(f"rule {i} has an unknown key {sorted(unknown)[0][:40]!r}")
        kind = rule.get("access_type")
        if kind not in ACCESS_TYPES:
            raise ValueError(f"rule {i} access_type must be anonymous or token")
        out = {"access_type": kind}
        if kind == "token" and (rule.get("start") or rule.get("end")):
            raise ValueError(f"rule {i}: start and end apply to anonymous rules only")
        bounds = {k: _instant(rule[k], f"rule {i} {k}") for k in ("start", "end") if rule.get(k) not in (None, "")}
        if "start" in bounds and "end" in bounds and bounds["start"] >= bounds["end"]:
            raise ValueError(f"rule {i} start must be before its end")
        out.update({k: _iso(v) for k, v in bounds.items()})
        rules.append(out)
    return rules


def _open(rule: dict[str, str], now: datetime) -> bool:
    if rule.get("access_type") != "anonymous":
        return False
    start, end = rule.get("start"), rule.get("end")
    if start and now < _instant(start, "start"):
        return False
    return not (end and now >= _instant(end, "end"))


def restriction(record: Any, now: datetime | None = None) -> str | None:
    """Why delivering `record` (an `AssetRecord` of delivery type `upload`) needs a signature
    now (`now`: aware UTC, default the current time), or None when it is public: `access_mode
    authenticated`, or `access_control` with no anonymous window open at `now`."""
    if getattr(record, "access_mode", "public") == "authenticated":
        return "access_mode authenticated"
    rules = (getattr(record, "extra", None) or {}).get("access_control")
    if not rules:
        return None
    now = now or datetime.now(timezone.utc)
    if any(_open(r, now) for r in rules if isinstance(r, dict)):
        return None
    return "access_control restricts anonymous access"


def public_until(record: Any, now: datetime | None = None) -> datetime | None:
    """When the anonymous access open at `now` ends, for a `record` that `restriction` finds
    public at `now` (`now`: aware UTC, default the current time): the latest `end` of the
    anonymous windows open at `now`, or None when the asset is public with no end (no rules,
    or an open window without `end`).  Delivery caps an anonymous answer's cache lifetime at
    it, so no cache keeps serving the asset after its window closed.  A window that opens
    exactly when another closes is not joined to it (a shorter lifetime, never a longer one)."""
    rules = (getattr(record, "extra", None) or {}).get("access_control")
    if not rules:
        return None
    now = now or datetime.now(timezone.utc)
    ends = []
    for rule in rules:
        if isinstance(rule, dict) and _open(rule, now):
            if not rule.get("end"):
                return None
            ends.append(_instant(rule["end"], "end"))
    return max(ends) if ends else None
