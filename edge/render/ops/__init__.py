"""Render operations: one small module per step of `edge.render.pipeline.STEPS`.

Every step is ``step(ctx: edge.render.context.Context) -> None`` and replaces `ctx.image`:
guard (refuse what is not supported yet), load (decode + shrink-on-load), resize
(`plan_step`, `resize`, `crop`), pad, effects, radius, border, rotate, opacity.
Helpers of the steps: background (`b_` and `b_auto` colours), blend (layer compositing
modes), text (`l_text:` rendering).  Per-frame helpers are `edge.render.frames`.
"""
