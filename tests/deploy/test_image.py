"""The container image (issue 9, item 14): Dockerfile layer order, .dockerignore, the entry
point (fails closed without a secret, honours EDGE_WORKERS), render threads from the cgroup CPU
quota, and deploy/s3_init.py against a real SeaweedFS.  Docker itself is not available here,
so the Dockerfile is read with `dockerfile-parse` and its parts are run directly."""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import httpx
import pytest
from dockerfile_parse import DockerfileParser

from edge.server.settings import Settings, _cores
from edge_live import free_port, stop_process

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
BIN = Path(sys.executable).parent


def _instructions() -> list[dict]:
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    return parser.structure


def _index(instructions, predicate) -> int:
    return next(i for i, ins in enumerate(instructions) if predicate(ins))


def _ignored(path: str) -> bool:
    """Docker's .dockerignore rule: the last matching pattern decides, `!` re-includes."""
    ignored = False
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/") \
                or fnmatch.fnmatch(path, pattern.replace("**/", "")):
            ignored = not negate
    return ignored


# ---- Dockerfile ------------------------------------------------------------------------------
def test_dependencies_installed_before_the_code() -> None:
    ins = _instructions()
    base = ins[_index(ins, lambda i: i["instruction"] == "FROM")]["value"]
    assert ":" in base and not base.endswith(":latest") and any(c.isdigit() for c in base.split(":")[1])
    deps = _index(ins, lambda i: i["instruction"] == "RUN" and "requirements" in i["value"])
    code = _index(ins, lambda i: i["instruction"] == "COPY" and i["value"].split()[0] == "edge")
    assert deps < code
    copies_before = [i["value"].split()[:-1] for i in ins[:deps] if i["instruction"] == "COPY"]
    assert copies_before == [["pyproject.toml"]], "only pyproject.toml may feed the dependency layer"
    install = _index(ins, lambda i: i["instruction"] == "RUN" and "pip install" in i["value"] and i is not ins[deps])
    assert install > code and "--no-deps" in ins[install]["value"]


def test_dependency_layer_reads_pyproject() -> None:
    """Run the dependency step's requirement extraction on the real pyproject.toml: it gives
    exactly the project's dependencies."""
    ins = _instructions()
    run = next(i["value"] for i in ins if i["instruction"] == "RUN" and "requirements" in i["value"])
    extract = run.split("&&")[0].replace("/tmp/requirements.txt", "-").split(">")[0]
    out = subprocess.run(shlex.split(extract), cwd=REPO, capture_output=True, text=True, check=True)
    expected = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert out.stdout.split("\n")[:-1] == expected


def test_models_and_settings_in_the_image() -> None:
    ins = _instructions()
    env = " ".join(i["value"] for i in ins if i["instruction"] == "ENV")
    models_dir = env.split("EDGE_MODELS_DIR=")[1].split()[0]
    copy = next(i["value"].split() for i in ins if i["instruction"] == "COPY" and i["value"].startswith("models"))
    assert copy == ["models", models_dir]
    assert "EDGE_WORKERS=" in env
    cmd = json.loads(next(i["value"] for i in ins if i["instruction"] == "CMD"))
    assert cmd == ["edge", "serve"]  # a --workers flag here would override EDGE_WORKERS
    entry = json.loads(next(i["value"] for i in ins if i["instruction"] == "ENTRYPOINT"))
    assert entry == ["/app/deploy/entrypoint.sh"]
    user = next(i["value"] for i in ins if i["instruction"] == "USER")
    assert user not in ("root", "0")
    assert any(i["instruction"] == "HEALTHCHECK" and "/healthz" in i["value"] for i in ins)


def test_dockerignore_keeps_the_context_small() -> None:
    ins = _instructions()
    for i in ins:
        if i["instruction"] == "COPY":
            for src in i["value"].split()[:-1]:
                matches = list(REPO.glob(src))
                assert matches, f"COPY source {src} missing"
                for m in matches:
                    assert not _ignored(m.relative_to(REPO).as_posix()), f"{src} is excluded by .dockerignore"
    for path in (".venv/bin/python", ".git/HEAD", "tests/images/coffee.png", ".edge-cache/x",
                 "edge/__pycache__/cli.cpython-311.pyc", "bench/serve.py"):
        assert _ignored(path), path
    assert not _ignored("models/nanodet.onnx") and not _ignored("edge/cli.py")


# ---- entry point -----------------------------------------------------------------------------
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def test_entrypoint_fails_closed_without_secret() -> None:
    r = subprocess.run(["sh", str(ENTRYPOINT), "edge", "serve"], env=_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "EDGE_API_SECRET" in r.stderr
    flags_only = subprocess.run(["sh", str(ENTRYPOINT), "--help"], env=_env(), capture_output=True,
                                text=True, timeout=60)
    assert flags_only.returncode == 2  # flags alone mean `edge serve <flags>`: same check
    ok = subprocess.run(["sh", str(ENTRYPOINT), "--help"], env=_env(EDGE_API_SECRET="s3cr3t"),
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "--render-threads" in ok.stdout
    unsigned = subprocess.run(["sh", str(ENTRYPOINT), "--help"], env=_env(EDGE_SIGNED="none"),
                              capture_output=True, text=True, timeout=60)
    assert unsigned.returncode == 0
    other = subprocess.run(["sh", str(ENTRYPOINT), "edge", "url", "sign", "/demo/image/upload/a.jpg",
                            "--secret", "x"], env=_env(), capture_output=True, text=True, timeout=60)
    assert other.returncode == 0 and "/s--" in other.stdout


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_entrypoint_honours_edge_workers(tmp_path: Path) -> None:
    """The image's ENTRYPOINT + CMD with EDGE_WORKERS=2 runs two uvicorn worker processes."""
    port = free_port()
    shutil.copytree(REPO / "media", tmp_path / "media")
    env = _env(EDGE_API_SECRET="s3cr3t", EDGE_WORKERS="2", EDGE_PORT=str(port),
               EDGE_ORIGIN=str(tmp_path / "media"), EDGE_CACHE="none", EDGE_FOCUS="none",
               EDGE_LOG_LEVEL="warning")
    proc = subprocess.Popen(["sh", str(ENTRYPOINT), "edge", "serve"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "edge serve did not answer"
            time.sleep(0.2)
        # exec: the entry point's pid is uvicorn's master; its workers are its children
        workers = [c for c in _children(proc.pid)
                   if b"multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes()
                   and b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(workers) == 2
        r = httpx.get(f"http://127.0.0.1:{port}/demo/image/upload/w_50/samples/coffee.png", timeout=30)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    finally:
        stop_process(proc, grace_s=15)


# ---- render threads from the cgroup CPU quota ------------------------------------------------
@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "150000 100000\n"}, 2),                 # v2: 1.5 CPUs -> 2 threads
    ({"cpu.max": "100000 100000\n"}, 1),
    ({"cpu.max": "max 100000\n"}, None),                 # no quota: every CPU
    ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu.max": "6400000 100000\n"}, None),             # quota above the CPUs: the CPUs
    ({}, None),
])
def test_cores_follow_the_cgroup_quota(tmp_path: Path, files: dict[str, str], expected) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    cpus = len(os.sched_getaffinity(0))
    assert _cores(str(tmp_path)) == min(expected or cpus, cpus)


def test_render_threads_default_to_cores() -> None:
    assert Settings().threads == _cores()
    assert Settings(render_threads=3).threads == 3


# ---- S3 bucket creation ----------------------------------------------------------------------
@pytest.mark.s3
def test_s3_init_creates_buckets_and_edge_serves_from_them(s3_server, tmp_path: Path) -> None:
    from edge_live import Settings as EdgeSettings, create_app, serve_app

    run = uuid.uuid4().hex[:8]
    origin, cache = f"s3://media-{run}/originals", f"s3://derived-{run}/v1"
    env = _env(EDGE_ORIGIN=origin, EDGE_CACHE=cache, EDGE_S3_ENDPOINT=s3_server.endpoint)
    cmd = [sys.executable, str(DEPLOY / "s3_init.py"), "--upload", str(REPO / "media")]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"bucket media-{run} created" in first.stdout and f"bucket derived-{run} created" in first.stdout
    uploaded = sum(1 for p in (REPO / "media").rglob("*") if p.is_file())
    assert f"{uploaded} files uploaded" in first.stdout
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "exists" in again.stdout and "0 files uploaded" in again.stdout

    settings = EdgeSettings(origin=origin, cache=cache, s3_endpoint=s3_server.endpoint,
                            cloud_name="demo", memory_cache_mb=16, focus="none")
    with serve_app(create_app(settings)) as edge:
        assert edge.client.get("/readyz").status_code == 200
        r = edge.client.get("/demo/image/upload/c_fill,w_80,h_60/samples/landscape_aitzgorri.jpg")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"


def test_s3_init_reports_an_unreachable_server() -> None:
    env = _env(EDGE_ORIGIN="s3://media/originals", EDGE_CACHE="none",
               EDGE_S3_ENDPOINT=f"http://127.0.0.1:{free_port()}", AWS_ACCESS_KEY_ID="x",
               AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    r = subprocess.run([sys.executable, str(DEPLOY / "s3_init.py")], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.startswith("s3_init:")
