"""The Cloudinary-compatible write side: Upload API, Admin API and Analyze API routers (Starlette).

Imports flow one way: edge.server mounts this package; nothing here imports edge.server.
"""
