"""Durable background jobs (eager_async renders, async uploads, webhooks, re-analysis) on huey.

One seam, two storages chosen by a location string (like the catalogue):

* `sqlite:///path/jobs.db` (embedded default: a file beside the catalogue): huey's
  `SqliteHuey`.  Several server worker processes on one machine share the file; each runs an
  in-process consumer (threads), a job is taken by exactly one of them.
* `postgresql://...`: huey's `SqlStorage` (peewee over psycopg 3) in the catalogue's database
  (tables `edge_jobs_kv`, `edge_jobs_task`, `edge_jobs_schedule`, `edge_jobs_counter`),
  so every Edge node shares the queue; the dequeue is `SELECT ... FOR UPDATE SKIP LOCKED` +
  `DELETE` in one transaction, so a job is taken by exactly one node.

Jobs are stored when enqueued and survive a restart: enqueue, stop (or crash) before they ran,
start again, and they run.  A graceful `stop()` lets running jobs finish.  A job whose process
is killed WHILE it runs is run again: huey removes a job from its queue when a worker takes
it, so each running job also leaves a marker `edge:run:<queue instance>:<job id>` in huey's
key-value store, and every running queue writes a heartbeat `edge:alive:<instance>` every
`heartbeat_s`; a marker whose instance has not beaten for `stale_after_s` is taken (atomically:
one node wins) and its job enqueued again.  Delivery is therefore at-least-once: handlers must
be idempotent (webhook receivers dedupe by the notification's fields; renders and analysis
are).  Retries: `retries` attempts more after a failure, waiting
`retry_delay_s * retry_backoff**n` seconds (huey's own retry with exponential back-off).

Usage::

    jobs = JobQueue("sqlite:///.edge-cache/jobs.db")
    jobs.register("webhook", send_webhook, retries=5, retry_delay_s=1, retry_backoff=2)
    jobs.start()                                   # in every worker process
    jobs.enqueue("webhook", {"url": ..., "body": ...})
    jobs.stop()

Handlers take one argument, the payload (a JSON-like dict; it is pickled by huey), and run
in consumer threads.
"""

from __future__ import annotations

import logging
import pickle
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["JobQueue", "Handler", "jobs_location_for", "JOB_TABLE_PREFIX"]

log = logging.getLogger("edge.assets.jobs")

Handler = Callable[[dict[str, Any]], Any]

_RUN = "edge:run:"
_ALIVE = "edge:alive:"


def _unpickle(raw: Any) -> Any:
    try:
        return pickle.loads(bytes(raw))
    except Exception:  # noqa: BLE001 - a damaged marker is dropped
        return None


def jobs_location_for(catalogue_location: str) -> str:
    """The job queue location that goes with a catalogue location: a SQLite catalogue gets
    `jobs.db` beside it; a PostgreSQL catalogue shares its database."""
    from edge.assets.factory import sibling_path

    if catalogue_location.startswith("sqlite:"):
        path = sibling_path(catalogue_location, "jobs.db")
        if path is None:
            raise ValueError("an in-memory SQLite catalogue has no durable job queue")
        return f"sqlite:///{path}"
    return catalogue_location


#: Table-name prefix of the job queue's tables in a shared PostgreSQL database (huey's own
#: names, `kv`/`task`/..., are too generic for a database the catalogue shares).
JOB_TABLE_PREFIX = "edge_jobs_"


def _storage_class() -> Any:
    from huey.contrib.sql_huey import SqlStorage

    class EdgeSqlStorage(SqlStorage):
        """huey's SqlStorage with its four tables renamed `edge_jobs_<name>`."""

        def create_models(self):  # type: ignore[no-untyped-def]
            models = super().create_models()
            for model in models:
                model._meta.set_table_name(JOB_TABLE_PREFIX + model._meta.table_name)
                for index in model._meta.indexes:  # indexes added by huey point at the old table
                    if hasattr(index, "_table"):
                        index._table = model._meta.table
                        index._name = JOB_TABLE_PREFIX + index._name
            return models

    return EdgeSqlStorage


def _import_huey(*, sqlite: bool) -> Any:
    """The `huey` package, imported for a SQLite queue without psycopg: `huey.storage` imports
    psycopg if it can (`try: import psycopg`, for its own PostgresStorage, which Edge does not
    use: its PostgreSQL queue is `SqlStorage` over peewee), and psycopg with libpq is about
    10 MB of a serving worker's RSS that the SQLite default never uses.  While huey is first
    imported for a SQLite queue in a process that has not loaded psycopg, the name is blocked
    (`sys.modules["psycopg"] = None` makes that import raise ImportError, which huey catches);
    the block is lifted right after, so the catalogue's and peewee's own imports of psycopg
    work as usual later (only huey's unused PostgresStorage stays without it)."""
    if sqlite and "huey" not in sys.modules and "psycopg" not in sys.modules:
        sys.modules["psycopg"] = None  # type: ignore[assignment]
        try:
            import huey  # noqa: PLC0415
        finally:
            if sys.modules.get("psycopg", 0) is None:
                del sys.modules["psycopg"]
    import huey  # noqa: PLC0415

    return huey


def _make_huey(location: str, name: str) -> Any:
    if location.startswith("sqlite:"):
        SqliteHuey = _import_huey(sqlite=True).SqliteHuey  # noqa: N806

        path = Path(location.split(":///", 1)[1]).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=str(path), results=False, utc=True, timeout=30)
    if location.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        from urllib.parse import unquote, urlsplit

        from huey import Huey
        from peewee import PostgresqlDatabase

        u = urlsplit(location.replace("postgresql+psycopg:", "postgresql:", 1))
        db = PostgresqlDatabase(
            unquote(u.path.lstrip("/")) or "postgres", host=u.hostname or "localhost", port=u.port or 5432,
            user=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
        )
        return Huey(name=name, storage_class=_storage_class(), database=db, results=False, utc=True)
    raise ValueError(f"Unsupported job queue location {location!r}: use sqlite:///path or postgresql://...")


def _empty_data() -> Any:
    """huey's "no value" marker (imported with huey, see `_import_huey`)."""
    from huey.constants import EmptyData  # noqa: PLC0415

    return EmptyData


class JobQueue:
    """A durable job queue (see the module docs).

    `location`: `sqlite:///path` or `postgresql://...`; `name`: the queue name (jobs are
    shared between every `JobQueue` with the same location and name); `workers`: consumer
    threads started by `start()`; `poll_s`: the longest idle wait between two polls of the
    storage, seconds; `heartbeat_s` / `stale_after_s`: liveness beat of this queue and how old
    another queue's beat may get before its running jobs are re-run, seconds.  Thread-safe.
    Raises `ValueError` for an unknown location scheme.
    """

    def __init__(self, location: str, *, name: str = "edge", workers: int = 2, poll_s: float = 0.5,
                 heartbeat_s: float = 5.0, stale_after_s: float = 30.0) -> None:
        self.location = location
        self.name = name
        self.workers = max(1, int(workers))
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = max(stale_after_s, 2 * heartbeat_s)
        self.instance = secrets.token_hex(8)
        self.huey = _make_huey(location, name)
        self._tasks: dict[str, Any] = {}
        self._consumer: Any = None
        self._beat: threading.Thread | None = None
        self._beat_stop = threading.Event()
        self._lock = threading.Lock()

    def register(self, name: str, handler: Handler, *, retries: int = 0, retry_delay_s: float = 0.0,
                 retry_backoff: float = 1.0, timeout_s: float | None = None) -> None:
        """Register `handler` for jobs called `name` (every process that runs consumers must
        register the same names).  `retries`: extra attempts after an exception; the n-th
        retry waits `retry_delay_s * retry_backoff**n` s.  `timeout_s`: a job running longer
        is interrupted (None: no limit).  Raises `ValueError` for a duplicate name."""
        with self._lock:
            if name in self._tasks:
                raise ValueError(f"job handler {name!r} is already registered")

            def run(payload: dict[str, Any], task: Any = None) -> None:
                started = time.monotonic()
                marker = f"{_RUN}{self.instance}:{task.id}" if task is not None else None
                if marker:
                    self.huey.storage.put_data(marker, pickle.dumps({"name": name, "payload": payload}))
                try:
                    handler(payload)
                except Exception:
                    log.warning("job %s failed after %.0f ms", name, (time.monotonic() - started) * 1000,
                                exc_info=True)
                    raise
                finally:
                    if marker:
                        self.huey.storage.pop_data(marker)

            run.__name__ = run.__qualname__ = name
            kwargs: dict[str, Any] = {}
            if timeout_s is not None:
                kwargs["timeout"] = timeout_s
            self._tasks[name] = self.huey.task(name=name, retries=int(retries), retry_delay=float(retry_delay_s),
                                               retry_backoff=float(retry_backoff) if retry_backoff != 1.0 else 0,
                                               context=True, **kwargs)(run)

    def handler(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        """Decorator form of `register` (same options)."""
        def deco(fn: Handler) -> Handler:
            self.register(name, fn, **options)
            return fn

        return deco

    def enqueue(self, name: str, payload: Mapping[str, Any], *, delay_s: float | None = None) -> str:
        """Store a job for handler `name` (run as soon as a consumer is free, or after
        `delay_s` seconds); returns the job id (str).  Raises `KeyError` for a name not
        registered in this process (so a typo fails at the call, not later)."""
        task = self._tasks[name]
        job = task.s(dict(payload), delay=float(delay_s)) if delay_s else task.s(dict(payload))
        self.huey.enqueue(job)
        return str(job.id)

    def pending(self) -> int:
        """Jobs waiting to run now (not counting scheduled retries/delays)."""
        return int(self.huey.pending_count())

    def scheduled(self) -> int:
        """Jobs waiting for a later time (delays and retries)."""
        return int(self.huey.scheduled_count())

    def start(self) -> None:
        """Start the in-process consumer (worker threads + scheduler thread); idempotent.
        Installs no signal handlers (the server keeps its own)."""
        with self._lock:
            if self._consumer is not None:
                return
            from huey.consumer import Consumer

            class _InProcessConsumer(Consumer):
                def _set_signal_handlers(self) -> None:  # the server owns the signals
                    pass

            self._consumer = _InProcessConsumer(
                self.huey, workers=self.workers, worker_type="thread", initial_delay=0.05,
                backoff=1.5, max_delay=self.poll_s, scheduler_interval=1, periodic=False,
                check_worker_health=False, flush_locks=False,
            )
            self._consumer.start()
            self._beat_stop.clear()
            self._heartbeat()
            self._beat = threading.Thread(target=self._beat_loop, name=f"edge-jobs-beat-{self.instance}",
                                          daemon=True)
            self._beat.start()

    def _heartbeat(self) -> None:
        self.huey.storage.put_data(f"{_ALIVE}{self.instance}", pickle.dumps(time.time()))

    def _beat_loop(self) -> None:
        while not self._beat_stop.wait(self.heartbeat_s):
            try:
                self._heartbeat()
                self.recover()
            except Exception:  # noqa: BLE001 - storage hiccup: try again next beat
                log.warning("job queue heartbeat failed", exc_info=True)

    def recover(self) -> int:
        """Enqueue again the jobs that were running in a queue instance whose heartbeat is
        older than `stale_after_s` (a killed process or node); returns how many.  Runs on
        every heartbeat; callable directly."""
        items = self.huey.storage.result_items()
        now = time.time()
        beats = {k[len(_ALIVE):]: _unpickle(v) for k, v in items.items() if k.startswith(_ALIVE)}
        n = 0
        for key in [k for k in items if k.startswith(_RUN)]:
            owner = key[len(_RUN):].split(":", 1)[0]
            beat = beats.get(owner)
            if owner == self.instance or (isinstance(beat, float) and now - beat < self.stale_after_s):
                continue
            raw = self.huey.storage.pop_data(key)  # atomic: one recovering node wins
            if raw is _empty_data():
                continue
            job = _unpickle(raw)
            if not isinstance(job, dict) or job.get("name") not in self._tasks:
                log.error("dropping unrecoverable job marker %s", key)
                continue
            log.warning("re-running job %s of stopped queue instance %s", job["name"], owner)
            self.huey.enqueue(self._tasks[job["name"]].s(job["payload"]))
            n += 1
        for owner, beat in beats.items():
            stale = not isinstance(beat, float) or now - beat >= self.stale_after_s
            if owner != self.instance and stale and not any(k.startswith(f"{_RUN}{owner}:") for k in items):
                self.huey.storage.pop_data(f"{_ALIVE}{owner}")
        return n

    def stop(self, *, timeout_s: float = 30.0) -> None:
        """Stop the consumer: running jobs finish (up to `timeout_s`), waiting ones stay
        stored for the next start.  Idempotent."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
            beat, self._beat = self._beat, None
        if consumer is None:
            return
        self._beat_stop.set()
        if beat is not None:
            beat.join(timeout=10)
        consumer.shutdown_timeout = timeout_s
        consumer.stop(graceful=True)
        try:
            self.huey.storage.pop_data(f"{_ALIVE}{self.instance}")
        except Exception:  # noqa: BLE001
            pass

    def close(self) -> None:
        """Stop and release the storage connection."""
        self.stop()
        try:
            self.huey.storage.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._consumer is not None
