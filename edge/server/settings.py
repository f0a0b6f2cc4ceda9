"""The one settings object of `edge serve`: every field is a `--flag` and an `EDGE_<NAME>`
environment variable (flag wins over environment, environment over the default).

| field | flag / env | default | meaning |
|---|---|---|---|
| host | `--host` / `EDGE_HOST` | 127.0.0.1 | listen address |
| port | `--port` / `EDGE_PORT` | 8080 | listen port |
| workers | `--workers` / `EDGE_WORKERS` | 1 | uvicorn worker processes (`/metrics` sums them: see `edge.server.metrics`) |
| origin | `--origin` / `EDGE_ORIGIN` | ./media | originals: a directory, `s3://bucket/prefix` or a `module:callable` origin |
| cache | `--cache` / `EDGE_CACHE` | ./.edge-cache | derived cache tier: directory, `s3://bucket/prefix`, `none` or a `module:callable` byte store |
| memory_cache_mb | `--memory-cache-mb` / `EDGE_MEMORY_CACHE_MB` | 256 | memory tier size, MiB (per worker) |
| cloud_name | `--cloud-name` / `EDGE_CLOUD_NAME` | demo | cloud name of cloud-less URLs; other clouds answer 404 |
| api_key | `--api-key` / `EDGE_API_KEY` | '' | API key (for upload/admin; unused by delivery) |
| api_secret | `--api-secret` / `EDGE_API_SECRET` | '' | secret that delivery URL signatures are checked against |
| auth_token_key | `--auth-token-key` / `EDGE_AUTH_TOKEN_KEY` | '' | hex key that `__cld_token__` delivery tokens (url-spec §18.4) are checked against ('' = tokens are not accepted) |
| signed | `--signed` / `EDGE_SIGNED` | addons | `none` / `addons` (add-on features need a signature) / `all` |
| fetch_allow | `--fetch-allow` / `EDGE_FETCH_ALLOW` | '' | comma-separated host patterns for the `fetch` type (empty: fetch off) |
| fetch_allow_private | `--fetch-allow-private` / `EDGE_FETCH_ALLOW_PRIVATE` | false | let fetch reach loopback/private addresses (tests, trusted LANs only) |
| s3_endpoint | `--s3-endpoint` / `EDGE_S3_ENDPOINT` | '' | endpoint URL of an S3-compatible server |
| render_threads | `--render-threads` / `EDGE_RENDER_THREADS` | cores | renders running at once per worker |
| render_queue | `--render-queue` / `EDGE_RENDER_QUEUE` | 4 x threads | renders waiting before 503 + Retry-After |
| render_timeout_s | `--render-timeout-s` / `EDGE_RENDER_TIMEOUT_S` | 30 | seconds before a render answers 503 |
| max_age | `--max-age` / `EDGE_MAX_AGE` | 3600 | Cache-Control max-age (s) of unversioned URLs |
| max_source_mb | `--max-source-mb` / `EDGE_MAX_SOURCE_MB` | 100 | largest original read, MiB |
| forwarded_allow_ips | `--forwarded-allow-ips` / `EDGE_FORWARDED_ALLOW_IPS` | 127.0.0.1 | proxies whose X-Forwarded-* is logged |
| log_level | `--log-level` / `EDGE_LOG_LEVEL` | info | uvicorn/edge log level |
| max_header_bytes | `--max-header-bytes` / `EDGE_MAX_HEADER_BYTES` | 32768 | request head (line + headers) above this: 431 (nginx: 4 x 8k) |
| max_header_line_bytes | `--max-header-line-bytes` / `EDGE_MAX_HEADER_LINE_BYTES` | 8192 | one header line above this: 431; request target: 414 |
| max_headers | `--max-headers` / `EDGE_MAX_HEADERS` | 100 | header fields per request above this: 431 (Apache's LimitRequestFields) |
| header_timeout_s | `--header-timeout-s` / `EDGE_HEADER_TIMEOUT_S` | 5 | seconds a connection has to send a complete request head, else closed |
| max_connections | `--max-connections` / `EDGE_MAX_CONNECTIONS` | 1000 | open connections per worker; above it requests get 503 + Retry-After (0: no cap) |
| access_log | `--access-log` / `EDGE_ACCESS_LOG` | json | one line per request on stdout: `json`, `text` or `off` |
| vips_cache_ops | `--vips-cache-ops` / `EDGE_VIPS_CACHE_OPS` | 0 | libvips operation cache per worker (0: off, as imgproxy; see `edge.server.memory`) |
| malloc_arenas | `--malloc-arenas` / `EDGE_MALLOC_ARENAS` | 2 | glibc malloc arenas per worker (0: glibc's 8 x cores; see `edge.server.memory`) |
| malloc_mmap_threshold_kb | `--malloc-mmap-threshold-kb` / `EDGE_MALLOC_MMAP_THRESHOLD_KB` | 0 | allocations of at least this many KiB get their own mmap, returned on free (0: glibc's dynamic threshold; see `edge.server.memory`) |
| focus | `--focus` / `EDGE_FOCUS` | vision | `vision` (ONNX models: objects, faces, text, saliency), `none` (libvips saliency only) or a `module:callable` returning a focus factory |
| named_transformations | `--named-transformations` / `EDGE_NAMED_TRANSFORMATIONS` | '' | TOML or JSON file of `name = "transformation"` for `t_<name>` |
| root_path | `--root-path` / `EDGE_ROOT_PATH` | false | also serve the SDK's `use_root_path` form, `/<components>/<public_id>` (image/upload of the configured cloud; for a host dedicated to it, as a private CDN is) |
| max_components | `--max-components` / `EDGE_MAX_COMPONENTS` | 40 | transformation components per URL after expanding `t_`, `if_` branches and layer bodies included (400 above; Cloudinary publishes no such limit) |
| max_costly_ops | `--max-costly-ops` / `EDGE_MAX_COSTLY_OPS` | 16 | effects, layers and non-right-angle rotations per URL (400 above) |
| max_cost_mp | `--max-cost-mp` / `EDGE_MAX_COST_MP` | 64 | megapixel-operations per render (pixels each effect, layer or free rotation works on, summed), estimated from the URL and the source header before decoding, then counted exactly (400 above; the slowest allowed chain takes about 6 s of one core) |
| catalogue | `--catalogue` / `EDGE_CATALOGUE` | '' | asset catalogue: `sqlite:///path.db`, `postgresql://...` or a `module:callable` catalogue; '' = `sqlite:///<origin>/.edge-originals/catalogue.db` for a local origin folder, else `<cache>/catalogue.db` for a local cache |
| max_upload_mb | `--max-upload-mb` / `EDGE_MAX_UPLOAD_MB` | 100 | largest file the Upload API accepts, MiB (413 above; issue 10) |
| public_url | `--public-url` / `EDGE_PUBLIC_URL` | '' | base URL of `url`/`secure_url` in API answers (`https://img.example.com`); '' = `http://<host>:<port>` |
| notification_url | `--notification-url` / `EDGE_NOTIFICATION_URL` | '' | global webhook URL: every upload notification also goes there |
| webhook_attempts | `--webhook-attempts` / `EDGE_WEBHOOK_ATTEMPTS` | 5 | webhook deliveries tried (exponential backoff from 1 s) before giving up |
| analyze_task_ttl_s | `--analyze-task-ttl-s` / `EDGE_ANALYZE_TASK_TTL_S` | 86400 | seconds an Analyze API task and its result are kept (issue 12) |
| analyze_rate_limit | `--analyze-rate-limit` / `EDGE_ANALYZE_RATE_LIMIT` | 0 | Analyze API requests per API key per window; 429 above (0: off) |
| analyze_rate_window_s | `--analyze-rate-window-s` / `EDGE_ANALYZE_RATE_WINDOW_S` | 3600 | rate-limit window, s |
| analyze_cache_entries | `--analyze-cache-entries` / `EDGE_ANALYZE_CACHE_ENTRIES` | 512 | analysis results of uri sources kept in memory per worker |
| analyze_max_source_mb | `--analyze-max-source-mb` / `EDGE_ANALYZE_MAX_SOURCE_MB` | 0 | largest source read, MiB (0: max_upload_mb) |
| analyze_max_megapixels | `--analyze-max-megapixels` / `EDGE_ANALYZE_MAX_MEGAPIXELS` | 100 | largest source decoded, megapixels |
| analysis_lenient | `--analysis-lenient` / `EDGE_ANALYSIS_LENIENT` | false | an add-on model Edge lacks (`detection=captioning`, ...) is reported as `status: failed` under its key instead of a 400 (upload-spec §7; issue 11) |
| categorization_aliases | `--categorization-aliases` / `EDGE_CATEGORIZATION_ALIASES` | '' | third-party tagger names answered by Edge's own `edge_tagging`, e.g. `imagga_tagging=edge_tagging,google_tagging=edge_tagging` (the answer names the model used); '' = those names are a 400 |
| analyzers | `--analyzers` / `EDGE_ANALYZERS` | '' | comma-separated `module:callable` analysis plug-ins added to the built-in models |

Seams (`origin`, `cache`, `focus`, `catalogue`, `analyzers`) take a location string or
`package.module:callable`, called once at startup as `callable(settings)` with this object
and checked against the seam's protocol (`edge.seams` has the table); `validate()` refuses a
value of neither form, `edge serve` one that does not import.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any, Callable, Mapping

from edge.seams import is_import_path
from edge.storage.s3util import parse_s3_url

__all__ = ["Settings", "SIGNED_MODES"]

SIGNED_MODES = ("none", "addons", "all")
ACCESS_LOG_MODES = ("json", "text", "off")  # issue 9

#: One-line help of each flag (the module table has the long form).
HELP = {
    "host": "listen address", "port": "listen port",
    "workers": "uvicorn worker processes (/metrics sums them)",
    "origin": "originals: a directory, s3://bucket/prefix or package.module:callable",
    "cache": "derived cache tier: a directory, s3://bucket/prefix, none or package.module:callable",
    "memory_cache_mb": "memory tier size per worker, MiB", "cloud_name": "cloud name served",
    "api_key": "API key", "api_secret": "secret delivery signatures are checked against",
    "auth_token_key": "hex key __cld_token__ delivery tokens are checked against ('' = no tokens)",
    "signed": "which URLs need a signature: none | addons | all",
    "fetch_allow": "comma-separated host patterns the fetch type may download from (empty: off)",
    "fetch_allow_private": "let fetch reach loopback/private addresses (tests, trusted LANs)",
    "s3_endpoint": "endpoint URL of an S3-compatible server",
    "render_threads": "renders at once per worker (0: the number of cores)",
    "render_queue": "renders allowed to wait before 503 (0: 4 x threads)",
    "render_timeout_s": "seconds before a render answers 503",
    "max_age": "Cache-Control max-age of unversioned URLs, s", "max_source_mb": "largest original, MiB",
    "forwarded_allow_ips": "proxies whose X-Forwarded-* headers are logged",
    "log_level": "log level",
    "focus": "vision | none | package.module:callable returning a focus factory",
    "named_transformations": "TOML or JSON file of name = transformation string (t_<name>)",
    "root_path": "also serve the root-path form /<transformations>/<public_id> (image/upload of the configured cloud)",
    # issue 10: upload API
    "catalogue": "asset catalogue: sqlite:///path.db, postgresql://... or package.module:callable ('' = <origin>/.edge-originals/catalogue.db, or <cache>/catalogue.db with an S3 origin)",
    "max_upload_mb": "largest file the Upload API accepts, MiB",
    "public_url": "base URL of url/secure_url in API answers ('' = http://host:port)",
    "notification_url": "global webhook URL for upload notifications",
    "webhook_attempts": "webhook deliveries tried before giving up",
    # issue 12: Analyze API
    "analyze_task_ttl_s": "seconds an Analyze API task and its result are kept",
    "analyze_rate_limit": "Analyze API requests per API key per window (0: no limit)",
    "analyze_rate_window_s": "length of the Analyze API rate-limit window, s",
    "analyze_cache_entries": "analysis results of uri sources kept in memory per worker",
    "analyze_max_source_mb": "largest source the Analyze API reads, MiB (0: max_upload_mb)",
    "analyze_max_megapixels": "largest source the Analyze API decodes, megapixels",
    # issue 11: semantic data and add-ons
    "analysis_lenient": "report add-on models Edge lacks as status failed instead of a 400",
    "categorization_aliases": "third-party tagger names answered by edge_tagging: imagga_tagging=edge_tagging,...",
    # issue 13: seams
    "analyzers": "comma-separated package.module:callable analysis plug-ins (see edge.analysis.registry)",
}

#: The settings that name a seam (see `edge.seams`).
SEAMS = ("origin", "cache", "focus", "catalogue", "analyzers")


def _cores(cgroup_root: str = "/sys/fs/cgroup") -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota rounded up
    (issue 9 item 14: a container limited to 1.5 CPUs renders on 2 threads, not on every core
    of the host).  Reads cgroup v2 `cpu.max` ("<quota> <period>" or "max ...") or v1
    `cpu/cpu.cfs_quota_us` + `cpu.cfs_period_us` (-1: none) under `cgroup_root`."""
    try:
        n = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        n = max(1, os.cpu_count() or 1)
    for quota_file, period_file in (("cpu.max", None), ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us"),
                                    ("cpu,cpuacct/cpu.cfs_quota_us", "cpu,cpuacct/cpu.cfs_period_us")):
        try:
            words = []
            for name in filter(None, (quota_file, period_file)):
                with open(os.path.join(cgroup_root, name)) as fh:
                    words += fh.read().split()
            quota, period = int(words[0]), int(words[1])
        except (OSError, ValueError, IndexError):  # absent, "max" (no quota) or unreadable
            continue
        if quota > 0 and period > 0:
            return max(1, min(n, -(-quota // period)))
    return n


def _bool(text: str) -> bool:
    return str(text).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """All settings of one Edge server process (see the module table for flags and meaning).

    `focus_factory(public_id, version) -> FocusProvider | None` is a Python-only hook (no flag)
    that wins over the `focus` setting (`vision`, `none` or a `module:callable` import path,
    which also reaches multi-worker processes; see `edge.server.focus`).  The seams
    (`SEAMS`) take a location or `package.module:callable` (`edge.seams`).
    Raises ValueError from `validate()` for inconsistent values.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    origin: str = "./media"
    cache: str = "./.edge-cache"
    memory_cache_mb: int = 256
    cloud_name: str = "demo"
    api_key: str = ""
    api_secret: str = ""
    auth_token_key: str = ""
    signed: str = "addons"
    fetch_allow: str = ""
    fetch_allow_private: bool = False
    s3_endpoint: str = ""
    render_threads: int = 0
    render_queue: int = 0
    render_timeout_s: float = 30.0
    max_age: int = 3600
    max_source_mb: int = 100
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "info"
    # issue 9: HTTP limits and logs (see edge.server.http_limits, edge.server.access_log)
    max_header_bytes: int = field(default=32768, metadata={"help": "request head above this many bytes: 431 (0: no limit)"})
    max_header_line_bytes: int = field(default=8192, metadata={"help": "header line above this many bytes: 431, URI: 414 (0: no limit)"})
    max_headers: int = field(default=100, metadata={"help": "header fields above this count: 431 (0: no limit)"})
    header_timeout_s: float = field(default=5.0, metadata={"help": "seconds to send a complete request head (0: none)"})
    max_connections: int = field(default=1000, metadata={"help": "connections per worker before 503 (0: no cap)"})
    access_log: str = field(default="json", metadata={"help": "access log lines on stdout: json | text | off"})
    vips_cache_ops: int = field(default=0, metadata={"help": "libvips operation cache entries per worker (0: off)"})
    malloc_arenas: int = field(default=2, metadata={"help": "glibc malloc arenas per worker (0: glibc's default)"})
    malloc_mmap_threshold_kb: int = field(default=0, metadata={"help": "allocations of at least this many KiB get their own mmap, returned on free (0: glibc's dynamic threshold)"})  # issue 16
    focus: str = "vision"
    named_transformations: str = ""
    root_path: bool = False
    # issue 9: URL limits (edge.render.limits.Limits, edge.render.cost; before any pixel work)
    max_components: int = field(default=40, metadata={"help": "transformation components per URL, t_/if_/layers expanded (400 above)"})
    max_costly_ops: int = field(default=16, metadata={"help": "effects, layers and free rotations per URL (400 above)"})
    max_cost_mp: float = field(default=64.0, metadata={"help": "megapixel-operations per render (400 above)"})
    # issue 10: upload API
    catalogue: str = ""
    max_upload_mb: int = 100
    public_url: str = ""
    notification_url: str = ""
    webhook_attempts: int = 5
    # issue 12: Analyze API (help texts in HELP)
    analyze_task_ttl_s: int = 86400
    analyze_rate_limit: int = 0
    analyze_rate_window_s: int = 3600
    analyze_cache_entries: int = 512
    analyze_max_source_mb: int = 0
    analyze_max_megapixels: int = 100
    # issue 11: semantic data and add-ons (help texts in HELP)
    analysis_lenient: bool = False
    categorization_aliases: str = ""
    # issue 13: analysis plug-ins (edge.analysis.registry.load_configured)
    analyzers: str = ""
    focus_factory: Callable[[str, str], Any] | None = field(default=None, compare=False, repr=False)

    # ---- derived values -------------------------------------------------------------------
    @property
    def analysis_aliases(self) -> dict[str, str]:
        """`categorization_aliases` as {third-party name: Edge model}; ValueError when malformed."""
        out: dict[str, str] = {}
        for item in filter(None, (i.strip() for i in self.categorization_aliases.split(","))):
            name, sep, model = (part.strip() for part in item.partition("="))
            if not (sep and name and model):
                raise ValueError(f"categorization_aliases: {item!r} is not name=model")
            out[name] = model
        return out

    @property
    def seam_imports(self) -> dict[str, list[str]]:
        """{seam setting: the `package.module:callable` specs it names} for every seam set to
        import paths (`edge serve` imports each once before starting workers)."""
        out: dict[str, list[str]] = {}
        for name in SEAMS:
            specs = [s.strip() for s in getattr(self, name).split(",")] if name == "analyzers" else [getattr(self, name)]
            specs = [s for s in specs if is_import_path(s)]
            if specs:
                out[name] = specs
        return out

    @property
    def threads(self) -> int:
        """Render threads per worker: the setting, or the number of cores.

        Every worker may render on every core: the kernel hands accepted connections to the
        workers unevenly, so `cores // workers` threads left cores idle while one worker queued
        (bench/serve.py, 2 cores, 2 workers: cold_ratio 0.87 with 1 thread per worker, 0.93
        with 2).  libvips releases the GIL, so threads scale within a worker."""
        return self.render_threads or _cores()

    @property
    def queue(self) -> int:
        """Renders allowed to wait for a thread before answering 503."""
        return self.render_queue or 4 * self.threads

    @property
    def fetch_hosts(self) -> tuple[str, ...]:
        """The fetch allow-list as a tuple of patterns."""
        return tuple(p.strip() for p in self.fetch_allow.split(",") if p.strip())

    def validate(self) -> "Settings":
        """Return self, or raise ValueError naming the bad setting."""
        if self.signed not in SIGNED_MODES:
            raise ValueError(f"signed must be one of {SIGNED_MODES}, not {self.signed!r}")
        self.analysis_aliases  # noqa: B018 - issue 11: raises for a malformed categorization_aliases
        if self.auth_token_key and (len(self.auth_token_key) % 2 or not all(
                c in "0123456789abcdefABCDEF" for c in self.auth_token_key)):
            raise ValueError("auth_token_key must be hex (the SDK's auth_token key)")
        if not (0 < self.port < 65536):
            raise ValueError(f"port out of range: {self.port}")
        for name in ("workers", "memory_cache_mb", "render_threads", "render_queue", "max_age", "max_source_mb"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("max_components", "max_costly_ops", "max_cost_mp"):  # issue 9: URL limits
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        # issue 10: upload API
        if self.max_upload_mb <= 0 or self.webhook_attempts <= 0:
            raise ValueError("max_upload_mb and webhook_attempts must be > 0")
        for name in ("public_url", "notification_url"):
            if getattr(self, name) and not getattr(self, name).startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL")
        if self.render_timeout_s <= 0:
            raise ValueError("render_timeout_s must be > 0")
        # issue 9: HTTP limits and logs
        for name in ("max_header_bytes", "max_header_line_bytes", "max_headers", "header_timeout_s", "max_connections",
                     "vips_cache_ops", "malloc_arenas", "malloc_mmap_threshold_kb"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.access_log not in ACCESS_LOG_MODES:
            raise ValueError(f"access_log must be one of {ACCESS_LOG_MODES}, not {self.access_log!r}")
        for name in ("origin", "cache"):
            location = getattr(self, name)
            if location.startswith("s3://"):
                try:
                    parse_s3_url(location)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        # issue 13: seams take one of their locations or package.module:callable
        if not (self.focus in ("", "vision", "none") or is_import_path(self.focus)):
            raise ValueError(f"focus must be vision, none or package.module:callable, not {self.focus!r}")
        for spec in filter(None, (s.strip() for s in self.analyzers.split(","))):
            if not is_import_path(spec):
                raise ValueError(f"analyzers: {spec!r} is not of the form package.module:callable")
        return self

    # ---- sources --------------------------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults overlaid with `EDGE_<NAME>` variables, then `overrides`."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in _configurable():
            raw = env.get(_env_name(f.name))
            if raw is not None:
                values[f.name] = _convert(f, raw, _env_name(f.name))
        values.update(overrides)
        return replace(cls(), **values).validate()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add one `--flag` per field (default None = take env/default)."""
        for f in _configurable():
            env = _env_name(f.name)
            if f.type == "bool":
                parser.add_argument(_flag(f.name), default=None, action="store_const", const="true",
                                    help=f"{HELP.get(f.name) or f.metadata.get('help', '')} (env {env})")
            else:
                parser.add_argument(_flag(f.name), default=None, metavar=f.name.upper(),
                                    choices=SIGNED_MODES if f.name == "signed" else None,
                                    help=f"{HELP.get(f.name) or f.metadata.get('help', '')}; default {f.default!r} (env {env})")

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: Mapping[str, str] | None = None) -> "Settings":
        """Settings from parsed CLI flags over the environment."""
        overrides = {}
        for f in _configurable():
            value = getattr(args, f.name, None)
            if value is not None:
                overrides[f.name] = _convert(f, value, _flag(f.name))
        return cls.from_env(env, **overrides)

    def to_env(self) -> dict[str, str]:
        """The `EDGE_*` variables reproducing these settings (to hand them to worker processes)."""
        out = {}
        for f in _configurable():
            v = getattr(self, f.name)
            out[_env_name(f.name)] = ("true" if v else "false") if isinstance(v, bool) else str(v)
        return out


def _configurable() -> list[Field[Any]]:
    """The fields with a flag and a variable (all but the Python-only `focus_factory`)."""
    return [f for f in fields(Settings) if f.name != "focus_factory"]


def _env_name(name: str) -> str:
    return f"EDGE_{name.upper()}"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _convert(f: Field[Any], raw: Any, source: str) -> Any:
    """`raw` (text or a bool) as the type of field `f`; ValueError names `source` when it is
    not a number where one is needed.  Field types are strings (postponed annotations)."""
    if f.type == "bool":
        return raw if isinstance(raw, bool) else _bool(raw)
    try:
        if f.type == "int":
            return int(raw)
        if f.type == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"{source} must be a number, not {raw!r}") from None
    return str(raw)
