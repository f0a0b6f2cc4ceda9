"""Edge: a self-hosted, Cloudinary-compatible image CDN edge server."""

__version__ = "0.1.0"
