"""Render operations: one small module per operation (resize, crop, pad, ...)."""
