"""pytest configuration of the render tests (helpers live in render_support.py)."""
