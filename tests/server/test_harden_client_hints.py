"""`w_auto` with `dpr_auto` (issue 9, item 7): the width client hint is already in device
pixels (Cloudinary, "Responsive images using client hints": Sec-CH-Width is the width "in
device pixels" the image occupies), so the DPR is not applied to it a second time; it is
rounded up to the `w_auto` step.  Layout-pixel sizes (`h_`, the `w_auto` fallback) still take
the DPR."""

from __future__ import annotations

import pyvips
import pytest

from edge_live import Live

PHOTO = "samples/landscape.jpg"  # 3088x2056


def _size(live: Live, chain: str, **headers: str) -> tuple[int, int]:
    r = live.client.get(f"/demo/image/upload/{chain}/{PHOTO}", headers=headers)
    assert r.status_code == 200, r.headers.get("x-cld-error")
    image = pyvips.Image.new_from_buffer(r.content, "")
    return image.width, image.height


@pytest.mark.parametrize("names", [("sec-ch-width", "sec-ch-dpr"), ("width", "dpr")])
def test_both_hints_give_the_device_width_rounded_up_to_the_step(live: Live, names: tuple[str, str]) -> None:
    width, dpr = names
    both = {width: "720", dpr: "2"}
    assert _size(live, "c_scale,w_auto,dpr_auto", **both)[0] == 800  # was 1600
    assert _size(live, "c_scale,w_auto", **{width: "720"})[0] == 800
    assert _size(live, "c_scale,w_auto:50,dpr_auto", **both)[0] == 750
    assert _size(live, "c_scale,w_auto:50,dpr_auto", **{width: "720", dpr: "3"})[0] == 750


def test_layout_pixel_sizes_still_take_the_dpr(live: Live) -> None:
    # no width hint: the fallback is in layout px, so DPR 2 doubles it
    assert _size(live, "c_scale,w_auto:100:300,dpr_auto", **{"sec-ch-dpr": "2"})[0] == 600
    # h_ is layout px: 100 x 2; the width comes from the hint as is
    assert _size(live, "c_fill,w_auto,h_100,dpr_auto", **{"sec-ch-width": "720", "sec-ch-dpr": "2"}) == (800, 200)


def test_the_response_varies_on_both_hints(live: Live) -> None:
    r = live.client.get(f"/demo/image/upload/c_scale,w_auto,dpr_auto/{PHOTO}",
                        headers={"sec-ch-width": "720", "sec-ch-dpr": "2"})
    for name in ("Sec-CH-Width", "Sec-CH-DPR"):
        assert name in r.headers["vary"]
