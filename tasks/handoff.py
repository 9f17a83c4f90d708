"""The web process's hand-off thread: the work a commit asks for leaves the request at once.

After a commit, the new outbox rows and lists are put on an in-process queue. A background
thread of the web process takes whatever has gathered and hands it on in batches:

- with a broker, it publishes to it (one message per batch of notices), so that no request
  waits for Redis, and a broker that is slow or down slows no page;
- without one (the embedded default), it runs the tasks itself, and also keeps Celery beat's
  schedule (the sweep every OUTBOX_SWEEP_SECONDS, the daily digest and list audit), judged by
  Celery's own schedule objects: a failed send is retried without anyone running `outbox-sweep`.

The outbox row is the durable record: a thread lost with its process loses nothing; the sweep
(of this process, another, or beat's) hands on whatever is still pending.
"""

import atexit
import logging
import os
import queue
import threading
import time

from celery.schedules import maybe_schedule

log = logging.getLogger(__name__)
STOP = ("stop", None, None)
DRAIN_SECONDS = 60  # at exit, how long to finish what is queued (a CLI command's notices)


class HandOff:
    def __init__(self, app, celery_app, *, keeps_schedule, gather=0.0):
        self.app = app
        self.gather = gather
        self.celery_app = celery_app
        self.keeps_schedule = keeps_schedule
        self.queue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread = None
        self.owner = None  # the process the thread runs in: a fork starts its own

    def submit(self, work, request_id=None):
        """Queue (task name, id) pairs for the thread, with the id of the request that asked
        for them; returns at once."""
        self._ensure_running()
        for name, object_id in work:
            self.queue.put((name, object_id, request_id))

    def _ensure_running(self):
        with self.lock:
            if self.thread is not None and self.thread.is_alive() and self.owner == os.getpid():
                return
            self.owner = os.getpid()
            self.thread = threading.Thread(target=self._run, name="commend-hand-off", daemon=True)
            self.thread.start()
            atexit.register(self.drain)

    def drain(self):
        """At exit: finish what is queued (a CLI command such as seed-demo exits right after
        its commits), then stop. What cannot finish in time stays pending for the sweep."""
        if self.thread is not None and self.thread.is_alive() and self.owner == os.getpid():
            self.queue.put(STOP)
            self.thread.join(DRAIN_SECONDS)

    def _schedule(self):
        if not self.keeps_schedule:
            return []
        now = self.celery_app.now()
        return [
            [entry["task"], maybe_schedule(entry["schedule"], app=self.celery_app), now]
            for entry in self.celery_app.conf.beat_schedule.values()
        ]

    def _run(self):
        schedule = self._schedule()
        while True:
            wait = 60.0
            for entry in schedule:  # [task, when, last run]
                task, when, last_run = entry
                due, next_check = when.is_due(last_run)
                if due:
                    entry[2] = self.celery_app.now()
                    self._run_task(task)
                    due, next_check = when.is_due(entry[2])
                wait = min(wait, max(next_check, 0.05))
            try:
                first = self.queue.get(timeout=wait)
            except queue.Empty:
                continue
            work = [first]
            # Whatever gathers in the next moment goes in the same hand-off: under load, one
            # message to the broker carries the notices of many actions.
            until = time.monotonic() + self.gather
            while (remaining := until - time.monotonic()) > 0:
                try:
                    work.append(self.queue.get(timeout=remaining))
                except queue.Empty:
                    break
            stop = STOP in work
            self._hand_on([item for item in work if item != STOP])
            if stop:
                return

    def _hand_on(self, work):
        if not work:
            return
        from tasks.outbox import publish

        pairs = [(name, object_id) for name, object_id, _ in work]
        request_ids = {(name, object_id): asked for name, object_id, asked in work if asked}
        try:
            with self.app.app_context():
                publish(self.celery_app, pairs, request_ids)
        except Exception:  # the thread outlives any one hand-off; the sweep has the rows
            log.exception("hand-off of %d items failed", len(work))

    def _run_task(self, task):
        try:
            result = self.celery_app.tasks[task].apply()
            if result.failed():
                log.error("scheduled task %s failed: %s", task, result.result)
        except Exception:
            log.exception("scheduled task %s failed", task)
