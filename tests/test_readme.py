"""README.md as a new user meets it (issue 9, item 10): every command and URL in it works.

The README is read as one shell session in document order, in a fresh folder holding a copy
of `media/` (what a clone gives a new user), with this test's virtual environment on PATH:

* shell blocks (```sh / bash / shell): `export NAME=value` sets a variable for what follows;
  `edge serve [flags]` (or `NAME=value edge serve`) starts a real server with the variables
  exported so far (on a free port instead of 8080); set-up and CI lines (venv, activate, pip, `python -m pytest`) and
  `docker` / `kubectl` (checked in tests/deploy) are skipped; every other command runs in bash
  with `127.0.0.1:8080` pointed at the last server started, and must exit 0.  Delivery paths
  or URLs a command prints are requested and must answer 200.
* python blocks run as scripts the same way (the official Cloudinary SDK is installed by the
  test extra); the URLs they print are requested, and when the block shows its output as
  `# http://...` comments, the printed URLs (query string aside) must be exactly those.
* every other URL of the file (prose, tables, `#` comment lines in code blocks): each
  `http://127.0.0.1:8080/...` URL and each `/demo/image/...` path must answer 200.  Unsigned
  URLs go to the first server started (the default one), signed ones (`s--...--`) to the last
  server started with `EDGE_API_SECRET`, and must answer 401 on the default server.  The
  table row (or paragraph, or comment line) of a URL states what to expect: `Accept: <value>`
  is sent; one format name (JPEG, PNG, WebP, AVIF, GIF) is the content type; a format next
  to `<w>x<h>` is the size in px; "transparen..." means an alpha channel.  URLs with `<...>`,
  `{...}` or `...` are templates and are not requested.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from s3server import free_port, stop_process

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
BIN = Path(sys.executable).parent
HOST = "http://127.0.0.1:8080"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
SHELL = {"sh", "bash", "shell", "console"}
URL = re.compile(r"http://127\.0\.0\.1:8080(/[^\s`'\"|)\]]*)|(?<![\w/.:-])(/demo/image/[^\s`'\"|)\]]+)")
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WebP": "image/webp", "AVIF": "image/avif",
           "GIF": "image/gif"}
FORMAT_WORD = re.compile(r"\b(JPEG|PNG|WebP|AVIF|GIF)\b")
SIZE = re.compile(r"\b(JPEG|PNG|WebP|AVIF|GIF)\s+(\d+)x(\d+)\b|\b(\d+)x(\d+)\s+(JPEG|PNG|WebP|AVIF|GIF)\b")
ACCEPT = re.compile(r"Accept:\s*([^`|\n]+)")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


# ---- reading the README ----------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """A URL of the README (`path` relative to the server) and the text that describes it."""

    path: str
    context: str
    line: int

    @property
    def signed(self) -> bool:
        return bool(re.search(r"/s--[^/]+--/", self.path))


def _line_of(offset: int) -> int:
    return README.count("\n", 0, offset) + 1


def _prose_contexts() -> Iterator[tuple[str, int, int]]:
    """(text, offset) pieces a URL's expectations are read from: table rows and paragraphs
    outside code blocks, and `#` comment lines inside them."""
    pos = 0
    for m in FENCE.finditer(README):
        yield from _paragraphs(README[pos:m.start()], pos)
        body_start = m.start(2)
        for line in re.finditer(r"^[ \t]*#.*$", m.group(2), re.M):
            yield line.group(0), body_start + line.start(), body_start + line.end()
        pos = m.end()
    yield from _paragraphs(README[pos:], pos)


def _paragraphs(text: str, base: int) -> Iterator[tuple[str, int, int]]:
    for para in re.finditer(r"(?:[^\n]+\n?)+", text):
        if para.group(0).lstrip().startswith("|"):  # a table: each row on its own
            for row in re.finditer(r"^.*$", para.group(0), re.M):
                yield row.group(0), base + para.start() + row.start(), base + para.start() + row.end()
        else:
            yield para.group(0), base + para.start(), base + para.end()


def _urls(text: str) -> list[str]:
    return [(m.group(1) or m.group(2)).rstrip(".,;:") for m in URL.finditer(text)]


def readme_examples() -> list[Example]:
    """Every URL of the README outside commands (see the module docstring)."""
    out = []
    for text, start, _ in _prose_contexts():
        for path in _urls(text):
            if not re.search(r"[<>{}]|\.\.\.", path):
                out.append(Example(path or "/", text, _line_of(start)))
    return out


def _commands(block: str) -> list[str]:
    """Commands of a shell block: continuation lines joined, comments dropped, `&&` split."""
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out += [c.strip() for c in re.split(r"\s&&\s", line) if c.strip()]
    return out


def _skipped(argv: list[str]) -> bool:
    return (argv[0] in (".", "source", "pip", "pip3", "docker", "kubectl")
            or argv[:3] in (["python3", "-m", "venv"], ["python", "-m", "venv"],
                            ["python", "-m", "pytest"], ["python3", "-m", "pytest"]))


# ---- running it ------------------------------------------------------------------------------
@dataclass
class Server:
    """An `edge serve` the README started: its variables and its local base URL."""

    env: dict[str, str]
    url: str
    proc: subprocess.Popen[bytes]


@dataclass
class Session:
    """What running the README gave: servers in start order, command failures, printed URLs."""

    workdir: Path
    servers: list[Server] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    printed: list[tuple[str, str]] = field(default_factory=list)  # (where, url or path)
    shown_vs_printed: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    ran: int = 0

    @property
    def default(self) -> Server:
        assert self.servers, "the README never starts `edge serve`"
        return self.servers[0]

    def for_path(self, path: str) -> Server:
        """The server a README URL is meant for: signed ones need the secret."""
        if re.search(r"/s--[^/]+--/", path):
            secret = [s for s in self.servers if s.env.get("EDGE_API_SECRET")]
            assert secret, "the README shows signed URLs but never starts edge serve with EDGE_API_SECRET"
            return secret[-1]
        return self.default

    def local(self, text: str) -> str:
        """`text` with the README's address replaced by the last server's."""
        return text.replace("127.0.0.1:8080", self.servers[-1].url.split("//")[1]) if self.servers else text


def _user_env(exports: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(exports)
    return env


def _start(session: Session, argv: list[str], exports: dict[str, str]) -> None:
    port = free_port()
    env = _user_env(exports)
    proc = subprocess.Popen([str(BIN / "edge"), *argv[1:], "--port", str(port)], cwd=session.workdir,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"`{shlex.join(argv)}` exited {proc.returncode}: {proc.stderr.read().decode()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"`{shlex.join(argv)}` did not answer in 60 s"
        time.sleep(0.1)
    session.servers.append(Server(dict(exports), url, proc))


def _exported(session: Session, command: str, exports: dict[str, str]) -> dict[str, str]:
    base = _user_env(exports)
    r = subprocess.run(["bash", "-c", f"{command}\nenv -0"], cwd=session.workdir, env=base,
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"`{command}` failed: {r.stderr}"
    after = dict(item.split("=", 1) for item in r.stdout.split("\0") if "=" in item)
    return {**exports, **{k: v for k, v in after.items() if base.get(k) != v and k not in ("_", "SHLVL", "PWD", "OLDPWD")}}


def _printed_urls(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines()
            if line.strip().startswith(("/demo/image/", "http://127.0.0.1:"))]


def _run(session: Session, where: str, cmd: list[str], exports: dict[str, str]) -> str | None:
    r = subprocess.run(cmd, cwd=session.workdir, env=_user_env(exports), capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    session.ran += 1
    if r.returncode != 0:
        session.failures.append(f"{where}: exit {r.returncode}\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
        return None
    session.printed += [(where, u) for u in _printed_urls(r.stdout)]
    return r.stdout


def run_readme(workdir: Path) -> Session:
    """Run the README's code blocks in order in `workdir` (see the module docstring)."""
    session = Session(workdir)
    exports: dict[str, str] = {}
    for m in FENCE.finditer(README):
        lang, body, line = m.group(1).lower(), m.group(2), _line_of(m.start())
        if lang in SHELL:
            for command in _commands(body):
                words = shlex.split(command)
                n = next((i for i, w in enumerate(words) if not ASSIGNMENT.match(w)), len(words))
                assigned = dict(w.split("=", 1) for w in words[:n])  # `NAME=value command`
                argv = words[n:] or [""]
                where = f"README line {line}: {command}"
                if argv[0] == "export":  # bash evaluates it ($(...), quotes); keep what it set
                    exports = _exported(session, command, exports)
                elif _skipped(argv):
                    continue
                elif argv[:2] == ["edge", "serve"]:
                    _start(session, argv, {**exports, **assigned})
                else:
                    _run(session, where, ["bash", "-c", session.local(command)], exports)
        elif lang in ("python", "py"):
            script = workdir / f"readme_block_{line}.py"
            script.write_text(session.local(body))
            stdout = _run(session, f"README line {line}: python block", [sys.executable, str(script)], exports)
            shown = [f"{HOST}{p}" for p in _urls("\n".join(re.findall(r"^\s*#.*$", body, re.M)))]
            if stdout is not None and shown:
                printed = [re.sub(r"^http://127\.0\.0\.1:\d+", HOST, u).split("?", 1)[0]
                           for u in _printed_urls(stdout)]
                session.shown_vs_printed.append((f"README line {line}", shown, printed))
    return session


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The README run by a new user in a fresh folder with the repository's media/."""
    workdir = tmp_path_factory.mktemp("new-user")
    shutil.copytree(REPO / "media", workdir / "media")
    s = run_readme(workdir)
    try:
        yield s
    finally:
        for server in s.servers:
            stop_process(server.proc, grace_s=10)


def _get(server: Server, path: str, **headers: str) -> httpx.Response:
    path = re.sub(r"^http://127\.0\.0\.1:\d+", "", path)
    with httpx.Client(base_url=server.url, timeout=120) as client:
        return client.get(path, headers=headers)


# ---- the tests -------------------------------------------------------------------------------
def test_readme_commands_succeed(session: Session) -> None:
    assert session.ran >= 3, "expected the README's edge url and python examples to run"
    assert not session.failures, "\n\n".join(session.failures)


def test_python_examples_print_what_the_readme_shows(session: Session) -> None:
    assert session.shown_vs_printed, "the README shows no SDK output to check"
    for where, shown, printed in session.shown_vs_printed:
        assert printed == shown, where


def test_printed_urls_are_served(session: Session) -> None:
    assert session.printed
    for where, url in session.printed:
        r = _get(session.for_path(url), url)
        assert r.status_code == 200, f"{where} printed {url}: {r.status_code} {r.headers.get('x-cld-error')}"


def test_no_placeholder_signatures() -> None:
    assert "s--SIG--" not in README
    assert all(re.fullmatch(r"s--[A-Za-z0-9_-]{8}--|s--[A-Za-z0-9_-]{32}--", s)
               for s in re.findall(r"s--[^/\s`]*--", README) if "<" not in s)


EXAMPLES = readme_examples()


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 8 and any(e.signed for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line{e.line}:{e.path[:60]}" for e in EXAMPLES])
def test_readme_url(session: Session, example: Example) -> None:
    accept = ACCEPT.search(example.context)
    headers = {"Accept": accept.group(1).strip()} if accept else {}
    r = _get(session.for_path(example.path), example.path, **headers)
    assert r.status_code == 200, f"line {example.line}: {r.status_code} {r.headers.get('x-cld-error')}"
    formats = set(FORMAT_WORD.findall(example.context))
    if len(formats) == 1:
        assert r.headers["content-type"] == FORMATS[formats.pop()]
    if len(_urls(example.context)) == 1:  # size and alpha only where the text is about one URL
        import pyvips

        image = pyvips.Image.new_from_buffer(r.content, "")
        sizes = SIZE.findall(example.context)
        if len(sizes) == 1:
            w, h = (int(x) for x in (sizes[0][1:3] if sizes[0][0] else sizes[0][3:5]))
            assert (image.width, image.height) == (w, h)
        if "transparen" in example.context:
            assert image.hasalpha()
    if example.signed:  # and the default server, which has no secret, refuses it
        assert _get(session.default, example.path, **headers).status_code == 401
