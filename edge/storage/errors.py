"""Errors of the storage layer (origins and derived-asset cache tiers).

The server maps them to HTTP statuses: `AssetNotFound` -> 404, `FetchDenied` -> 403,
`SourceTooLarge` -> 413, `OriginUnavailable` -> 503.  Every message is short and fit for the
`X-Cld-Error` header.
"""

from __future__ import annotations

__all__ = ["StorageError", "AssetNotFound", "OriginUnavailable", "FetchDenied", "SourceTooLarge"]


class StorageError(Exception):
    """Base class of storage errors; `status` is the HTTP status the server answers with."""

    status: int = 500


class AssetNotFound(StorageError):
    """No stored original matches the public_id (or the remote fetch URL answered 4xx)."""

    status = 404


class OriginUnavailable(StorageError):
    """The origin (directory, S3 endpoint, remote host) cannot be reached or answered 5xx."""

    status = 503


class FetchDenied(StorageError):
    """A fetch URL is refused: scheme, host not in the allow-list, or a loopback, private,
    link-local or reserved address after DNS resolution."""

    status = 403


class SourceTooLarge(StorageError):
    """The original is larger than the configured maximum number of bytes."""

    status = 413
