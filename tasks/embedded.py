"""The embedded default's worker and beat: one background thread in the web process.

Without a broker, the tasks handed off after a commit (send a notice, produce a list) are put on
an in-process queue and run by this thread, never inside the request: a slow or absent SMTP
server slows no page. The same thread runs Celery beat's schedule (the sweep every
OUTBOX_SWEEP_SECONDS, the daily digest and list audit), judged by Celery's own schedule objects,
so a failed send is retried without anyone running `outbox-sweep` by hand.

The outbox row is the durable record: a thread lost with its process loses nothing; the next
sweep (of this process or another) sends what is still pending.
"""

import atexit
import logging
import os
import queue
import threading
import time

from celery.schedules import maybe_schedule

log = logging.getLogger(__name__)
STOP = ("stop", None)
DRAIN_SECONDS = 60  # at exit, how long to finish what is queued (a CLI command's notices)


class EmbeddedWorker:
    def __init__(self, celery_app):
        self.celery_app = celery_app
        self.queue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread = None
        self.owner = None  # the process the thread runs in: a fork starts its own

    def submit(self, work):
        """Queue (task name, id) pairs for the thread; returns at once."""
        self._ensure_running()
        for item in work:
            self.queue.put(item)

    def _ensure_running(self):
        with self.lock:
            if self.thread is not None and self.thread.is_alive() and self.owner == os.getpid():
                return
            self.owner = os.getpid()
            self.thread = threading.Thread(
                target=self._run, name="commend-embedded-worker", daemon=True
            )
            self.thread.start()
            atexit.register(self.drain)

    def drain(self):
        """At exit: finish what is queued (a CLI command such as seed-demo exits right after
        its commits), then stop. What cannot finish in time stays pending for the sweep."""
        if self.thread is not None and self.thread.is_alive() and self.owner == os.getpid():
            self.queue.put(STOP)
            self.thread.join(DRAIN_SECONDS)

    def _schedule(self):
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
                    self._apply(task, ())
                    due, next_check = when.is_due(entry[2])
                wait = min(wait, max(next_check, 0.05))
            deadline = time.monotonic() + wait
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    item = self.queue.get(timeout=remaining)
                except queue.Empty:
                    break
                if item == STOP:
                    return
                self._apply(item[0], (item[1],))

    def _apply(self, task, args):
        """Run one task here, inside the app context (the Celery task class pushes it)."""
        try:
            result = self.celery_app.tasks[task].apply(args=args)
            if result.failed():
                log.error("embedded task %s%s failed: %s", task, args, result.result)
        except Exception:  # the thread outlives any one task
            log.exception("embedded task %s%s failed", task, args)

