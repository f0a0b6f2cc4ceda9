"""The Edge HTTP server: Starlette app (`create_app`), settings, and the `edge serve` command.

Imports render, vision-free (a `focus_factory` setting plugs object gravity in), storage and url.
"""

from edge.server.app import create_app, create_app_from_env
from edge.server.settings import Settings

__all__ = ["create_app", "create_app_from_env", "Settings"]
