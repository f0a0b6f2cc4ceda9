"""Errors of the render engine."""

from __future__ import annotations

__all__ = ["RenderError", "LimitError"]


class RenderError(Exception):
    """The source cannot be rendered as asked: unreadable or unsupported input, or an
    impossible transformation.  The message is fit for the `X-Cld-Error` header; `status` is
    the HTTP status the server answers with (400 by default)."""

    status: int = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class LimitError(RenderError):
    """A configured limit was exceeded (source megapixels, animation frames, output side):
    HTTP 413."""

    status = 413
