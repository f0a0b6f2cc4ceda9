"""Delivery reads the catalogue (issue 10): tags feed `if_` conditions, stored
custom_coordinates feed `g_custom` and face_coordinates override detection for `g_face`; a
change of tags or coordinates moves the derived keys at once (no stale derivative)."""

from __future__ import annotations

import pyvips
import pytest

from api_live import PHOTO, ApiLive

pytestmark = pytest.mark.usefixtures("sdk")


def _size(resp) -> tuple[int, int]:  # noqa: ANN001
    assert resp.status_code == 200, resp.headers.get("x-cld-error")
    img = pyvips.Image.new_from_buffer(resp.content, "")
    return img.width, img.height


def test_tags_feed_if_conditions(api: ApiLive) -> None:
    import cloudinary.uploader as up

    up.upload(str(PHOTO), public_id="dl/tagged", tags="sale")
    url = "/demo/image/upload/if_!sale!_in_tags,w_100/dl/tagged.jpg"
    assert _size(api.get(url))[0] == 100
    up.remove_tag("sale", ["dl/tagged"])
    assert _size(api.get(url))[0] == 768  # the tag is gone: the condition is false, no stale entry


def test_custom_coordinates_feed_g_custom(api: ApiLive) -> None:
    import cloudinary.uploader as up

    # a box in the right half of the 768x576 photo: the crop must come from there
    up.upload(str(PHOTO), public_id="dl/custom", custom_coordinates=[[600, 200, 100, 100]])
    crop = api.get("/demo/image/upload/c_crop,g_custom,w_100,h_100/dl/custom.png")
    ref = pyvips.Image.new_from_file(str(PHOTO)).crop(600, 200, 100, 100)
    got = pyvips.Image.new_from_buffer(crop.content, "")
    assert (got.width, got.height) == (100, 100)
    assert abs(got.avg() - ref.avg()) < 3  # the same pixels as the stored box
    left = pyvips.Image.new_from_file(str(PHOTO)).crop(0, 200, 100, 100)
    assert abs(got.avg() - left.avg()) > abs(got.avg() - ref.avg())


def test_face_coordinates_override_detection(api: ApiLive) -> None:
    import cloudinary.uploader as up

    up.upload(str(PHOTO), public_id="dl/faces", face_coordinates=[[50, 60, 80, 80]])
    crop = api.get("/demo/image/upload/c_crop,g_face,w_80,h_80/dl/faces.png")
    got = pyvips.Image.new_from_buffer(crop.content, "")
    ref = pyvips.Image.new_from_file(str(PHOTO)).crop(50, 60, 80, 80)
    assert (got.width, got.height) == (80, 80) and abs(got.avg() - ref.avg()) < 3
    # explicit moves the face: delivery follows at once (the key carries the row revision)
    up.explicit("dl/faces", type="upload", face_coordinates=[[600, 300, 80, 80]])
    moved = pyvips.Image.new_from_buffer(api.get("/demo/image/upload/c_crop,g_face,w_80,h_80/dl/faces.png").content, "")
    ref2 = pyvips.Image.new_from_file(str(PHOTO)).crop(600, 300, 80, 80)
    assert abs(moved.avg() - ref2.avg()) < 3


def test_upload_detections_prewarm_delivery(tmp_path) -> None:
    """`detection=coco` at upload fills vision's detection cache under the asset version token
    delivery uses: the first object-gravity renditions of the upload run no object detector."""
    import collections

    import cloudinary.uploader

    from api_live import API_SECRET, configure_sdk, start_server
    from edge.url.signing import sign_path
    from edge.vision.registry import observe_inference

    runs: collections.Counter[str] = collections.Counter()
    remove = observe_inference(lambda name, _s: runs.update([name]))
    try:
        with start_server(tmp_path, focus="vision") as live:
            configure_sdk(live.url)
            r = cloudinary.uploader.upload(str(PHOTO), public_id="pw/dog", detection="coco")
            assert runs["coco"] >= 1 and "dog" in r["info"]["detection"]["object_detection"]["data"]["coco"]["tags"]
            runs.clear()
            for path in ("/demo/image/upload/c_fill,g_auto:dog,w_200,h_200/pw/dog.jpg",
                         f"/demo/image/upload/c_crop,g_dog/v{r['version']}/pw/dog.jpg"):
                got = live.get(sign_path(path, API_SECRET))
                assert got.status_code == 200, got.headers.get("x-cld-error")
            assert runs["coco"] == 0, dict(runs)
    finally:
        remove()
