"""Durable background jobs (eager_async renders, async uploads, webhooks, re-analysis) on huey.

One seam, two storages chosen by a location string (like the catalogue):

* `sqlite:///path/jobs.db` (embedded default: a file beside the catalogue): huey's
  `SqliteHuey`.  Several server worker processes on one machine share the file; each runs an
  in-process consumer (threads), a job is taken by exactly one of them.
* `postgresql://...`: huey's `SqlStorage` (peewee over psycopg 3) in the catalogue's database,
  so every Edge node shares the queue; the dequeue is `SELECT ... FOR UPDATE SKIP LOCKED` +
  `DELETE` in one transaction, so a job is taken by exactly one node.

Jobs are stored when enqueued and survive a restart: enqueue, stop (or crash) before they ran,
start again, and they run.  A graceful `stop()` lets running jobs finish; a job whose process
is killed WHILE it runs is not re-run (huey removes a job when it takes it), so handlers should
be short and idempotent.  Retries: `retries` attempts more after a failure, waiting
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
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["JobQueue", "Handler", "jobs_location_for"]

log = logging.getLogger("edge.assets.jobs")

Handler = Callable[[dict[str, Any]], Any]


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


def _make_huey(location: str, name: str) -> Any:
    if location.startswith("sqlite:"):
        from huey import SqliteHuey

        path = Path(location.split(":///", 1)[1]).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=str(path), results=False, utc=True, timeout=30)
    if location.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        from urllib.parse import unquote, urlsplit

        from huey.contrib.sql_huey import SqlHuey
        from peewee import PostgresqlDatabase

        u = urlsplit(location.replace("postgresql+psycopg:", "postgresql:", 1))
        db = PostgresqlDatabase(
            unquote(u.path.lstrip("/")) or "postgres", host=u.hostname or "localhost", port=u.port or 5432,
            user=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
        )
        return SqlHuey(name=name, database=db, results=False, utc=True)
    raise ValueError(f"Unsupported job queue location {location!r}: use sqlite:///path or postgresql://...")


class JobQueue:
    """A durable job queue (see the module docs).

    `location`: `sqlite:///path` or `postgresql://...`; `name`: the queue name (jobs are
    shared between every `JobQueue` with the same location and name); `workers`: consumer
    threads started by `start()`; `poll_s`: the longest idle wait between two polls of the
    storage, seconds.  Thread-safe.  Raises `ValueError` for an unknown location scheme.
    """

    def __init__(self, location: str, *, name: str = "edge", workers: int = 2, poll_s: float = 0.5) -> None:
        self.location = location
        self.name = name
        self.workers = max(1, int(workers))
        self.poll_s = poll_s
        self.huey = _make_huey(location, name)
        self._tasks: dict[str, Any] = {}
        self._consumer: Any = None
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

            def run(payload: dict[str, Any]) -> None:
                started = time.monotonic()
                try:
                    handler(payload)
                except Exception:
                    log.warning("job %s failed after %.0f ms", name, (time.monotonic() - started) * 1000,
                                exc_info=True)
                    raise

            run.__name__ = run.__qualname__ = name
            kwargs: dict[str, Any] = {}
            if timeout_s is not None:
                kwargs["timeout"] = timeout_s
            self._tasks[name] = self.huey.task(name=name, retries=int(retries), retry_delay=float(retry_delay_s),
                                               retry_backoff=float(retry_backoff) if retry_backoff != 1.0 else 0,
                                               context=False, **kwargs)(run)

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

    def stop(self, *, timeout_s: float = 30.0) -> None:
        """Stop the consumer: running jobs finish (up to `timeout_s`), waiting ones stay
        stored for the next start.  Idempotent."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        consumer.shutdown_timeout = timeout_s
        consumer.stop(graceful=True)

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
