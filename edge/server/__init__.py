"""The Edge HTTP server: Starlette app (`create_app`), settings, and the `edge serve` command.

Imports render, storage, url and vision (the default focus provider of object gravity; the
`focus` setting or a `focus_factory` replaces it, see `edge.server.focus`).
"""

from edge.server.app import create_app, create_app_from_env
from edge.server.settings import Settings

__all__ = ["create_app", "create_app_from_env", "Settings"]
