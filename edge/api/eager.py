"""Eager derivatives of upload and explicit (`EagerSteps`, a part of
`edge.api.upload.UploadApi`): each `eager` transformation parsed as a delivery URL of the asset
(checked before anything is stored), rendered through the delivery miss path
(`edge.derive.Deriver`, same cache keys: the first GET is a hit) and recorded as a derived
asset; or, with `eager_async`, answered as `processing` and rendered by a durable job.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Sequence

from edge.api.errors import ApiError
from edge.api.params import EagerSpec
from edge.api.resources import delivery_url
from edge.derive import FixedHints, target_of
from edge.storage import StorageError

__all__ = ["EagerSteps", "EagerStub"]


@dataclass
class EagerStub:
    """Enough of a record to build an eager URL before the asset exists (syntax check)."""

    type: str
    public_id: str
    format: str
    version: int = 1
    version_id: str = "0" * 32


class EagerSteps:
    """Eager renders of the Upload API (needs `self.ctx`, `self._io`, `self._job`)."""

    ctx: Any

    def _eager_requests(self, record: Any, specs: Sequence[EagerSpec]) -> list[Any]:
        """Parse each eager transformation as a delivery URL of `record` (400 when malformed
        or when it depends on the browser: f_auto, w_auto, dpr_auto)."""
        from edge.url import UrlError, parse  # noqa: PLC0415

        reqs = []
        for spec in specs:
            path = delivery_url("", self.ctx.cloud_name, record, spec.transformation, spec.ext)
            try:
                req = parse(path, cloud_name=self.ctx.cloud_name)
            except UrlError as exc:
                raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: {exc}") from None
            for comp in req.components:
                for p in comp:
                    text = str(p.text)
                    if (p.key == "f" and text.startswith("auto")) or (p.key in ("dpr", "w") and text.startswith("auto")):
                        raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: "
                                            f"{p.key}_auto depends on the requesting browser")
            from edge.render.cost import ChainLimitError, check_chain  # noqa: PLC0415

            try:  # the URL limits of delivery (issue 9) hold for eager derivatives too
                check_chain(req.components, self.ctx.deriver.named, self.ctx.deriver.limits)
            except ChainLimitError as exc:
                raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: {exc}") from None
            reqs.append(req)
        return reqs

    async def _render_eager(self, record: Any, specs: Sequence[EagerSpec]) -> list[dict[str, Any]]:
        """Render each eager derivative through the delivery miss path and store it in the
        derived cache under delivery's key (the first GET of its URL is a hit); record it in
        the catalogue.  Raises the render/storage errors (mapped by the caller)."""
        deriver = self.ctx.deriver
        out = []
        for spec, req in zip(specs, self._eager_requests(record, specs)):
            hints = FixedHints(output=req.format or "")
            target = target_of(deriver, req, hints, record)
            produced = await deriver.produce(req, target, hints, wait_for_cache=True, check_backing=False)
            asset = produced.asset
            await self._io(self.ctx.catalogue.add_derived, record.asset_id, record.version_id,
                           transformation=spec.transformation, format=asset.format, bytes=len(asset.data),
                           width=asset.width, height=asset.height, cache_key=target.key)
            out.append({
                "transformation": spec.transformation, "width": asset.width, "height": asset.height,
                "bytes": len(asset.data), "format": asset.format,
                "url": delivery_url(self.ctx.public_url, self.ctx.cloud_name, record, spec.transformation,
                                    spec.ext or record.format),
                "secure_url": delivery_url(self.ctx.secure_url, self.ctx.cloud_name, record,
                                           spec.transformation, spec.ext or record.format),
            })
        return out

    async def _eager_answer(self, record: Any, p: Any, params_text: str) -> list[dict[str, Any]]:
        """The `eager` list of an upload/explicit answer: rendered now, or (`eager_async`)
        `processing` entries with their URLs and a durable `eager` job that renders them and
        sends the `eager` notification."""
        ctx = self.ctx
        if not p.eager_async:
            return await self._eager_or_error(record, p.eager)
        batch = p.batch_id or secrets.token_hex(32)
        self._job("eager", {"type": record.type, "public_id": record.public_id,
                            "version": record.version, "params": params_text, "batch_id": batch})
        return [{"status": "processing", "batch_id": batch,
                 "url": delivery_url(ctx.public_url, ctx.cloud_name, record, s.transformation, s.ext),
                 "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record, s.transformation, s.ext)}
                for s in p.eager]

    async def _eager_or_error(self, record: Any, specs: Sequence[EagerSpec]) -> list[dict[str, Any]]:
        from edge.render.errors import RenderError  # noqa: PLC0415

        try:
            return await self._render_eager(record, specs)
        except ApiError:
            raise
        except RenderError as exc:
            raise ApiError(400, f"Eager transformation failed: {exc}") from None
        except StorageError as exc:
            raise ApiError(400 if exc.status < 500 else 503, f"Eager transformation failed: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - pool overload / timeout
            if type(exc).__name__ in ("Overloaded", "PoolTimeout", "RenderTimeout"):
                raise ApiError(503, "Server busy: eager render did not run") from None
            raise
