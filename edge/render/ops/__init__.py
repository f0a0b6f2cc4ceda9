"""Render operations: one small module per step of `edge.render.pipeline.STEPS`.

Every step is ``step(ctx: pipeline.Context) -> None`` and replaces `ctx.image`:
guard (refuse what is not supported yet; `check_size`), load (decode + shrink-on-load),
resize (`plan_step`, `resize`, `crop`), pad, effects, radius, border, rotate, opacity.
Helpers: frames (per-frame mapping for animations), background (`b_` and `b_auto` colours).
"""
