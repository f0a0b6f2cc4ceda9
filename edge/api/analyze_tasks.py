"""Analyze API tasks (upload-spec §5.1, `async: true`): where a task's status and result live
until they expire.

`TaskStore(jobs, ttl_s)` keeps each task as one JSON value in the key-value store of the
durable job queue (`edge.assets.jobs.JobQueue`: huey's `kv` table in the SQLite jobs file or
the catalogue's PostgreSQL database), so every worker process and node answers
`GET /v2/analysis/<cloud>/tasks/<task_id>` for a task another one accepted or ran, and tasks
survive a restart.  Without a job queue (an in-memory catalogue) tasks live in this process.

A task is ``{"task_id", "status": "pending"|"processing"|"completed"|"failed", "model",
"entity", "request_id", "created_at", "expires_at" (unix s), ...}`` plus ``data`` (entity and
analysis, once completed) or ``error`` (once failed).  A task older than `ttl_s` seconds reads
as missing; expired entries are swept every `SWEEP_EVERY` writes.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from typing import Any

__all__ = ["TaskStore", "new_task_id", "PREFIX", "SWEEP_EVERY", "STATUSES"]

log = logging.getLogger("edge.api.analyze")

PREFIX = "edge:analyze-task:"
SWEEP_EVERY = 64
STATUSES = ("pending", "processing", "completed", "failed")


def new_task_id() -> str:
    """A new task id: 40 lowercase hex characters (160 random bits)."""
    return secrets.token_hex(20)


class TaskStore:
    """Tasks of the Analyze API (see the module docs).  `jobs`: the job queue whose key-value
    store holds them (None: this process's memory); `ttl_s`: seconds a task is kept after it
    was created.  Thread-safe; every method is blocking (call it off the event loop)."""

    def __init__(self, jobs: Any, ttl_s: float) -> None:
        self.storage = jobs.huey.storage if jobs is not None else None
        self.ttl_s = max(1.0, float(ttl_s))
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._writes = 0

    def _put_raw(self, key: str, raw: bytes) -> None:
        if self.storage is None:
            with self._lock:
                self._memory[key] = raw
        else:
            self.storage.put_data(key, raw)

    def _peek_raw(self, key: str) -> bytes | None:
        if self.storage is None:
            with self._lock:
                return self._memory.get(key)
        from huey.constants import EmptyData

        raw = self.storage.peek_data(key)
        return None if raw is EmptyData else bytes(raw)

    def _pop_raw(self, key: str) -> None:
        if self.storage is None:
            with self._lock:
                self._memory.pop(key, None)
        else:
            self.storage.pop_data(key)

    def create(self, **fields: Any) -> dict[str, Any]:
        """Store a new `pending` task with `fields` (JSON values) and return it."""
        now = time.time()
        task = {"task_id": new_task_id(), "status": "pending", **fields,
                "created_at": round(now, 3), "expires_at": round(now + self.ttl_s, 3)}
        self.put(task)
        return task

    def put(self, task: dict[str, Any]) -> None:
        """Write `task` (replacing the stored one with its `task_id`)."""
        self._put_raw(PREFIX + task["task_id"], json.dumps(task, separators=(",", ":")).encode())
        with self._lock:
            self._writes += 1
            sweep = self._writes % SWEEP_EVERY == 0
        if sweep:
            self.sweep()

    def get(self, task_id: str) -> dict[str, Any] | None:
        """The task, or None when unknown or expired."""
        raw = self._peek_raw(PREFIX + task_id)
        if raw is None:
            return None
        try:
            task = json.loads(raw)
        except ValueError:
            return None
        if float(task.get("expires_at", 0)) < time.time():
            self._pop_raw(PREFIX + task_id)
            return None
        return task

    def update(self, task_id: str, **fields: Any) -> dict[str, Any] | None:
        """Set `fields` on a stored task and return it (None when it is gone)."""
        task = self.get(task_id)
        if task is None:
            return None
        task.update(fields)
        self.put(task)
        return task

    def sweep(self) -> int:
        """Remove expired tasks; returns how many."""
        now = time.time()
        if self.storage is None:
            with self._lock:
                items = dict(self._memory)
        else:
            try:
                items = {k: bytes(v) for k, v in self.storage.result_items().items() if k.startswith(PREFIX)}
            except Exception:  # noqa: BLE001 - storage hiccup: sweep next time
                log.warning("cannot sweep analyze tasks", exc_info=True)
                return 0
        n = 0
        for key, raw in items.items():
            try:
                expired = float(json.loads(raw).get("expires_at", 0)) < now
            except ValueError:
                expired = True
            if expired:
                self._pop_raw(key)
                n += 1
        return n
