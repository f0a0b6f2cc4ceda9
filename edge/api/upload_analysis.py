"""Analysis during an upload or explicit call (`AnalysisSteps`, a part of
`edge.api.upload.UploadApi`): the `AnalysisRequest` of the parameters, whether any analysis
was asked for, running `edge.analysis.analyze` with the asset's vision focus, and the
`duplicate` moderation (pHash compared with every catalogue asset).
"""

from __future__ import annotations

from typing import Any, Mapping

from edge.api.errors import ApiError

__all__ = ["AnalysisSteps", "moderate_duplicates"]


class AnalysisSteps:
    """Analysis helpers of the Upload API (needs `self.ctx`: an `ApiContext`)."""

    ctx: Any

    def _analysis_request(self, params: Mapping[str, Any]) -> Any:
        from edge.analysis import AnalysisError, AnalysisRequest  # noqa: PLC0415

        try:
            return AnalysisRequest.from_params(params, lenient=self.ctx.lenient_analysis,
                                               aliases=self.ctx.analysis_aliases)
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None

    @staticmethod
    def _wants_analysis(areq: Any) -> bool:
        from edge.analysis.request import BOOL_FLAGS  # noqa: PLC0415

        return bool(any(getattr(areq, f) for f in BOOL_FLAGS) or areq.detection or areq.categorization
                    or areq.ocr or areq.auto_tagging is not None)

    def _analyze(self, data: bytes, areq: Any, public_id: str, version_id: str) -> dict[str, Any]:
        """Blocking: `edge.analysis.analyze` with the vision focus of this asset version (its
        detections pre-warm the cache delivery's g_face/g_auto read)."""
        from edge.analysis import AnalysisError, analyze  # noqa: PLC0415

        focus = None
        factory = self.ctx.deriver.focus_factory if self.ctx.deriver is not None else None
        if factory is not None:
            try:
                focus = factory(public_id, version_id)
            except Exception:  # noqa: BLE001 - no focus provider: analysis still runs
                focus = None
        try:
            return analyze(data, areq, asset_token=version_id, focus=focus)
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None


def moderate_duplicates(catalogue: Any, moderation: list[dict[str, Any]], phash: str | None,
                         type_: str, public_id: str) -> list[dict[str, Any]]:
    """Blocking: settle `duplicate` moderation entries: compare `phash` with the stored pHash
    of every catalogue asset (a linear scan in pages of 500: fine for catalogues of some
    10^5 assets) and answer `rejected` with the matches (`response.duplicates`: public_id,
    similarity = 1 - Hamming/64, most similar first) or `approved`.  Assets uploaded without
    `phash` (or duplicate moderation) are not compared."""
    from edge.analysis.phash import phash_distance  # noqa: PLC0415

    out = []
    for entry in moderation:
        if entry["kind"] != "duplicate":
            out.append(entry)
            continue
        threshold = float(entry.get("threshold", 0.9))
        matches: list[dict[str, Any]] = []
        cursor = None
        while phash:
            records, cursor = catalogue.list(max_results=500, cursor=cursor)
            for rec in records:
                other = (rec.analysis or {}).get("phash")
                if not other or (rec.type == type_ and rec.public_id == public_id):
                    continue
                similarity = round(1.0 - phash_distance(phash, other) / 64.0, 4)
                if similarity >= threshold:
                    matches.append({"public_id": rec.public_id, "type": rec.type, "similarity": similarity})
            if cursor is None:
                break
        matches.sort(key=lambda m: -m["similarity"])
        out.append({"kind": "duplicate", "status": "rejected" if matches else "approved",
                    "response": {"threshold": threshold, "duplicates": matches[:20]}})
    return out
