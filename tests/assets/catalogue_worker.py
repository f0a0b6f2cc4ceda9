"""A separate process hammering one catalogue (used by test_concurrency.py).

    python catalogue_worker.py LOCATION MODE NAME COUNT START_AT

MODE `publish`: publish COUNT versions of public_id "shared" (tags kept), then print the
versions it got as JSON.  MODE `tag`: add COUNT tags "<NAME>-<i>" to "shared" one call at a
time, and set context key NAME-i.  MODE `create`: try once to create "race" with
overwrite=False; prints "created" or "existing".  Every process sleeps until the unix time
START_AT so they overlap.
"""

from __future__ import annotations

import json
import sys
import time

from edge.assets.catalogue import AssetDraft, new_version_id
from edge.assets.factory import catalogue_from_location


def main() -> None:
    location, mode, name, count, start_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    cat = catalogue_from_location(location)
    time.sleep(max(0.0, start_at - time.time()))
    out: list = []
    if mode == "publish":
        for i in range(count):
            pub = cat.publish(AssetDraft(type="upload", public_id="shared", version_id=new_version_id(), format="jpg",
                                         width=i + 1, height=1, bytes=1, etag="0" * 32))
            out.append([pub.record.version, pub.record.version_id, pub.record.asset_id])
    elif mode == "tag":
        for i in range(count):
            cat.add_tags("upload", ["shared"], [f"{name}-{i}"])
            cat.add_context("upload", ["shared"], {f"{name}-{i}": str(i)})
    elif mode == "create":
        pub = cat.publish(AssetDraft(type="upload", public_id="race", version_id=new_version_id(), format="jpg",
                                     width=1, height=1, bytes=1, etag="0" * 32), overwrite=False)
        out = ["existing" if pub.existing else "created"]
    cat.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
