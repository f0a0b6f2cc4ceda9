"""Upload presets through the Admin API with the official SDK as the oracle: create, list
(paginated), get, update, delete, then unsigned uploads through the preset (its settings
applied, `disallow_public_id` and `unsigned` honoured); bad input 400, duplicate 409, unknown
404."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from api_live import API_KEY, API_SECRET, CLOUD, IMAGES

DOG = IMAGES / "dog_bicycle_truck.jpg"
HOPPER = IMAGES / "tiny_hopper_128.jpg"
BASIC = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()


def test_preset_lifecycle_and_unsigned_upload(api: Any, sdk: Any) -> None:
    import cloudinary.api as A
    import cloudinary.uploader as U
    from cloudinary.exceptions import BadRequest, NotFound

    created = A.create_upload_preset(name="adm_unsigned", unsigned=True, folder="incoming",
                                     tags=["from_preset"], colors=True)
    assert created == {"message": "created", "name": "adm_unsigned"}
    got = A.upload_preset("adm_unsigned")
    assert got == {"name": "adm_unsigned", "unsigned": True,
                   "settings": {"folder": "incoming", "tags": "from_preset", "colors": True}}
    assert "adm_unsigned" in [p["name"] for p in A.upload_presets(max_results=500)["presets"]]

    res = U.unsigned_upload(str(DOG), "adm_unsigned", tags="t1")
    assert res["public_id"].startswith("incoming/") and len(res["public_id"]) == len("incoming/") + 20
    assert "t1" in res["tags"]  # the request's tags win over the preset's
    assert isinstance(res["colors"], list) and res["colors"][0][0].startswith("#")  # preset's colors=True
    assert api.get(res["url"]).status_code == 200
    plain = U.unsigned_upload(str(HOPPER), "adm_unsigned")
    assert plain["tags"] == ["from_preset"]

    assert A.update_upload_preset("adm_unsigned", unsigned=True, folder="moved",
                                  disallow_public_id=True) == {"message": "updated"}
    got = A.upload_preset("adm_unsigned")
    assert got["settings"] == {"folder": "moved", "disallow_public_id": True}  # update replaces
    with pytest.raises(BadRequest, match="public_id"):
        U.unsigned_upload(str(HOPPER), "adm_unsigned", public_id="chosen")
    assert U.unsigned_upload(str(HOPPER), "adm_unsigned")["public_id"].startswith("moved/")

    A.update_upload_preset("adm_unsigned", unsigned=False, folder="moved")
    assert A.upload_preset("adm_unsigned")["unsigned"] is False
    with pytest.raises(BadRequest, match="unsigned"):
        U.unsigned_upload(str(HOPPER), "adm_unsigned")
    signed = U.upload(str(HOPPER), upload_preset="adm_unsigned")  # a signed upload may use it
    assert signed["public_id"].startswith("moved/")

    assert A.delete_upload_preset("adm_unsigned") == {"message": "deleted"}
    with pytest.raises(NotFound):
        A.upload_preset("adm_unsigned")
    with pytest.raises(NotFound):
        A.delete_upload_preset("adm_unsigned")
    with pytest.raises(NotFound):
        A.update_upload_preset("adm_unsigned", folder="x")
    with pytest.raises(BadRequest, match="not found"):
        U.unsigned_upload(str(HOPPER), "adm_unsigned")


def test_preset_list_paginates_and_names(api: Any, sdk: Any) -> None:
    import cloudinary.api as A
    from cloudinary.exceptions import AlreadyExists

    for n in ("zz_p1", "zz_p2", "zz_p3"):
        A.create_upload_preset(name=n, tags="x")
    with pytest.raises(AlreadyExists):
        A.create_upload_preset(name="zz_p1")
    names: list[str] = []
    cursor = None
    while True:
        page = A.upload_presets(max_results=2, **({"next_cursor": cursor} if cursor else {}))
        assert len(page["presets"]) <= 2
        names += [p["name"] for p in page["presets"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert [n for n in names if n.startswith("zz_")] == ["zz_p1", "zz_p2", "zz_p3"]
    assert names == sorted(names)
    anonymous = A.create_upload_preset(folder="anon")
    assert A.upload_preset(anonymous["name"])["settings"] == {"folder": "anon"}


@pytest.mark.parametrize("body", [
    {"name": "bad_1", "colour": "red"},  # unknown parameter
    {"name": "bad_2", "eval": "upload_options.tags = 'x'"},  # JavaScript is never stored or run
    {"name": "bad_3", "detection": "captioning"},  # a model Edge lacks would break every upload
    {"name": "bad_4", "live": True},
    {"name": "bad 5!"},  # name
    {"name": "bad_6", "unsigned": "perhaps"},
    {"name": "bad_7", "type": "sideways"},
    {"name": "bad_8", "folder": "a/../b"},  # checked by the Upload API's own parser
    {"name": "bad_9", "notification_url": "ftp://example.com/hook"},
    {"name": "bad_10", "auto_tagging": "1.5"},
    {"name": "bad_11", "public_id": "fixed"},  # per request, not a setting
    {"name": "bad_12", "access_control": [{"access_type": "sometimes"}]},
])
def test_bad_preset_bodies_are_400(api: Any, body: dict[str, Any]) -> None:
    r = api.client.post(f"/v1_1/{CLOUD}/upload_presets", headers={"Authorization": BASIC,
                        "Content-Type": "application/json"}, content=json.dumps(body))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]
    name = body.get("name", "")
    r = api.client.get(f"/v1_1/{CLOUD}/upload_presets/{name}", headers={"Authorization": BASIC})
    assert r.status_code == 404  # nothing was stored


def test_preset_form_body_of_older_sdks(api: Any) -> None:
    r = api.client.post(f"/v1_1/{CLOUD}/upload_presets", headers={"Authorization": BASIC},
                        data={"name": "adm_form", "unsigned": "true", "folder": "f", "overwrite": "0"})
    assert r.status_code == 200, r.text
    r = api.client.get(f"/v1_1/{CLOUD}/upload_presets/adm_form", headers={"Authorization": BASIC})
    assert r.json() == {"name": "adm_form", "unsigned": True, "settings": {"folder": "f", "overwrite": False}}
    assert api.client.get(f"/v1_1/{CLOUD}/upload_presets/adm_form").status_code == 401
