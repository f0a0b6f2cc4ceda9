"""The layout of edge/ (issue 13): imports flow one way, no module grows past about 400 lines,
and a plain delivery request can be followed in a handful of files.

Read with `ast` from the sources (nothing of edge is imported for the import checks), so a
lazy import inside a function counts as much as one at the top of a module: the lazy
`from .pipeline import Context` that used to hide the chain <-> pipeline cycle would fail (a).

(a) no import cycle between the modules of edge/ (file level: `import a.b` is an edge to
    a/b.py or a/b/__init__.py, not to its parents);
(b) no import pointing back up the package order
    cli -> server -> api -> assets, derive -> analysis -> render, vision, storage -> url
    (a package may import the packages of any later layer; inside the render/vision/storage
    layer only vision -> render, the FocusProvider protocol and its Region); render never
    imports vision, storage, server or api;
(c) no module over `MAX_LINES` lines, except `KNOWN_LONG` (modules outside edge/render being
    split elsewhere; the set is emptied when they are);
(d) a plain delivery request (`c_fill,w_400,h_300` on a JPEG) runs code in at most
    `MAX_PATH_FILES` files of edge/ (see `test_plain_request_is_followed_in_few_files`).
"""

from __future__ import annotations

import ast
import collections
import pathlib
import sys

EDGE = pathlib.Path(__file__).resolve().parents[1] / "edge"
IMAGES = pathlib.Path(__file__).resolve().parent / "images"

#: 400 lines, with a 5 % allowance for a docstring that grows.
MAX_LINES = 420

#: modules outside edge/render over `MAX_LINES` today, split by other work (issue 13): this
#: set is emptied when they are.  Each entry must still be over the limit (or it is removed).
KNOWN_LONG: frozenset[str] = frozenset()

#: import cycles outside edge/render today (mostly lazy imports inside functions), removed by
#: other work (issue 13): each is a set of modules forming one strongly connected component.
KNOWN_CYCLES: tuple[frozenset[str], ...] = ()

#: the package order, top first; a package may import those of later layers only.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"edge", "cli"}),
    frozenset({"server"}),
    frozenset({"api"}),
    frozenset({"assets", "derive"}),
    frozenset({"analysis"}),
    frozenset({"render", "vision", "storage"}),
    frozenset({"url", "seams"}),  # seams: the location-or-module:callable resolver, imports no Edge module
)
#: imports allowed inside one layer: (importer, imported).
SAME_LAYER = frozenset({("vision", "render")})

#: at most this many edge/ files on the path of a plain request (helpers not counted, see (d)).
MAX_PATH_FILES = 8
#: at most this many edge/ files whose code runs at all for a plain request, helpers included
#: (13 at issue 13: the 8 on the path + deadline, focus, frames, geometry, spec; one spare for
#: a new leaf helper such as the object-window placement module).
MAX_ALL_FILES = 14


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in sorted(EDGE.rglob("*.py")):
        parts = list(path.relative_to(EDGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imported(module: str, path: pathlib.Path, modules: dict[str, pathlib.Path]) -> set[str]:
    """The edge modules `module` imports (any import statement anywhere in the file)."""
    found: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix for a in node.names]
        for name in names:
            while name not in modules and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in modules and name != module:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imported(m, p, modules) for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(frozenset(component))
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "edge"


def _layer(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert [sorted(c) for c in cycles if c not in KNOWN_CYCLES] == []
    # the known ones are still there (else they leave the list)
    assert set(KNOWN_CYCLES) <= set(cycles)


def test_render_has_no_cycle_and_no_lazy_back_edge():
    graph = _graph()
    assert not any(any(m.startswith("edge.render") for m in c) for c in _cycles(graph))
    # engine -> chain -> pipeline -> ops -> context: none of them imports one before it
    order = ["edge.render.engine", "edge.render.chain", "edge.render.pipeline", "edge.render.ops", "edge.render.context"]
    for i, module in enumerate(order):
        below = [m for m in graph if any(m == o or m.startswith(o + ".") for o in order[i:])]
        above = order[:i]
        for m in below:
            assert not [d for d in graph[m] if d in above], f"{m} imports up: {graph[m] & set(above)}"


def test_no_upward_import():
    upward = []
    for module, imported in _graph().items():
        mine = _package(module)
        for other in imported:
            theirs = _package(other)
            if theirs == mine:
                continue
            if _layer(theirs) > _layer(mine) or (mine, theirs) in SAME_LAYER:
                continue
            upward.append(f"{module} -> {other}")
    assert upward == []


def test_render_sees_no_server_api_storage_or_vision():
    for module, imported in _graph().items():
        if _package(module) == "render":
            assert not {_package(m) for m in imported} & {"server", "api", "storage", "vision", "assets", "analysis", "derive"}, module


def test_no_module_over_the_limit():
    long = {
        str(path.relative_to(EDGE.parent)): n
        for path in EDGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert {p: n for p, n in long.items() if p not in KNOWN_LONG} == {}
    assert sorted(KNOWN_LONG - set(long)) == []  # a module back under the limit leaves KNOWN_LONG


#: leaf modules split out of a helper for size, part of that helper's concept: importing one
#: does not stop the helper from being a leaf (`placement`: the window placement of `geometry`).
HELPER_PARTS = frozenset({"edge.render.placement"})


def _helpers(graph: dict[str, set[str]]) -> set[str]:
    """Leaves of the render import graph: modules that import no other edge.render module
    except edge.render.errors and `HELPER_PARTS` (pure readers, arithmetic, protocols: `spec`,
    `frames`, `geometry`, `deadline`, `focus`, ...).  Following a request never needs to open
    one to know where the request goes next."""
    allowed = {"edge.render.errors"} | HELPER_PARTS
    return {
        m for m, imported in graph.items()
        if m.startswith("edge.render") and not {d for d in imported if d.startswith("edge.render")} - allowed
    }


def test_plain_request_is_followed_in_few_files():
    """(d) One in-process render of a parsed `c_fill,w_400,h_300` URL on a JPEG (from the
    parsed `DeliveryRequest` to the encoded bytes, `edge.render.render`, after one warm-up
    render so imports and one-time set-up do not count): every edge/ file one of whose
    functions is entered (sys.setprofile "call" events) is recorded, edge/url excluded (the
    parser and the AST's accessors).  Counted: the files on the path, i.e. every recorded
    file that is not a helper (`_helpers`: a leaf of the render import graph); the helpers
    are counted in `MAX_ALL_FILES`.  Dataclass-generated methods (`Context.__init__`) have no
    edge/ file and are not counted.  The server side of a delivery (route, cache, origin) is
    not in this count.

    Before issue 13 the same render entered 21 files (18 on the path: chain, program and
    layers included, every step module of the pipeline); now a plain chain never enters the
    chain level and the pipeline skips the steps whose parameters are absent."""
    from edge.render import render
    from edge.url import parse

    source = (IMAGES / "landscape_aitzgorri.jpg").read_bytes()
    request = parse("/demo/image/upload/c_fill,w_400,h_300/samples/landscape_aitzgorri.jpg")
    render(source, request)
    entered: collections.Counter[str] = collections.Counter()
    root = str(EDGE) + "/"

    def profile(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "call" and frame.f_code.co_filename.startswith(root):
            entered[frame.f_code.co_filename[len(root):]] += 1

    sys.setprofile(profile)
    try:
        out = render(source, request)
    finally:
        sys.setprofile(None)
    assert (out.format, out.width, out.height) == ("jpg", 400, 300)
    files = {f for f in entered if not f.startswith("url/")}
    helpers = {"/".join(m.split(".")[1:]) for m in _helpers(_graph())}
    path = {f for f in files if f.removesuffix(".py").removesuffix("/__init__") not in helpers}
    assert len(path) <= MAX_PATH_FILES, sorted(path)
    assert len(files) <= MAX_ALL_FILES, sorted(files)
    # a URL with no t_, if_, $ or l_ never enters the interpreter nor the layer code
    assert not [f for f in files if f.startswith(("render/program/", "render/layers/", "render/chain.py"))]
