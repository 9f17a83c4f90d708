"""The Celery app bound to the Flask app; `celery -A tasks worker` / `beat` import this module.

`celery_init_app(app)` is called by `create_app` (Flask's own Celery pattern: every task runs
inside the app context). The worker's app is built lazily, when Celery asks this module for
`app`, so importing `tasks` never creates an application by itself.
"""

import time

from celery import Celery, Task, signals
from celery.exceptions import Retry
from celery.schedules import crontab

DEFAULT_QUEUE = "commend"


def celery_settings(config):
    """Celery's settings from the Flask config; each reliability choice says why."""
    broker = config.get("CELERY_BROKER_URL")
    time_limit = float(config["TASK_TIME_LIMIT_SECONDS"])
    visibility = int(config["BROKER_VISIBILITY_TIMEOUT"])
    if visibility <= max(time_limit, config["LIST_TIME_LIMIT_SECONDS"]):
        # Redis hands an unacknowledged message to another worker after the visibility
        # timeout; a task running longer would be run twice.
        raise RuntimeError(
            "BROKER_VISIBILITY_TIMEOUT must exceed TASK_TIME_LIMIT_SECONDS and "
            "LIST_TIME_LIMIT_SECONDS"
        )
    if config["OUTBOX_LEASE_SECONDS"] <= config["OUTBOX_SEND_TIME_LIMIT_SECONDS"]:
        # A send still running must hold its lease, or its row could be sent twice.
        raise RuntimeError("OUTBOX_LEASE_SECONDS must exceed OUTBOX_SEND_TIME_LIMIT_SECONDS")
    transport = {
        "visibility_timeout": visibility,
        # Fail fast when Redis is down, so an action's after-commit hand-off does not hang.
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
    return {
        # No broker: the embedded default runs tasks in-process — handed off after commit to a
        # background thread of the web process (tasks/handoff.py), which also keeps beat's
        # schedule; nothing to install, and mail still leaves only after commit.
        "task_always_eager": broker is None,
        "broker_url": broker or "memory://",
        # Redis is the result store too; results are ignored by default (the database holds
        # every outcome) but the backend is there for whoever inspects a task.
        "result_backend": broker,
        "task_ignore_result": True,
        # Acknowledge after the task ran, and give the message back if the worker process
        # died (SIGKILL, OOM): a notice is sent at least once, never silently dropped.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A task still running when the broker connection drops cannot be acknowledged and
        # will be delivered again: stop it rather than let it finish twice (Celery 6's default).
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # Take one message at a time: a worker that dies holds at most one unacked message,
        # and long list renderings do not sit in front of quick notices.
        "worker_prefetch_multiplier": 1,
        # Longer than any retry delay, for the broker and the result store alike (see above).
        "broker_transport_options": transport,
        "result_backend_transport_options": transport,
        # A worker started before Redis waits for it instead of exiting.
        "broker_connection_retry_on_startup": True,
        # A hung SMTP server or a runaway rendering cannot hold a worker forever; the soft
        # limit lets the task record its failure before the hard one kills it.
        "task_time_limit": time_limit,
        "task_soft_time_limit": time_limit * 0.8,
        # Publishing from a request must not stall it: two quick tries, then the sweep's job.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "task_default_queue": DEFAULT_QUEUE,
        "timezone": config["TIMEZONE"],
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "sweep-outbox": {
                "task": "commend.sweep",
                "schedule": float(config["OUTBOX_SWEEP_SECONDS"]),
            },
            "deadline-digests": {
                "task": "commend.deadline_digests",
                "schedule": crontab(minute=0, hour=int(config["DIGEST_HOUR"])),
            },
            # Files can go missing or be altered on disk after they were written and checked.
            "audit-lists": {
                "task": "commend.audit_lists",
                "schedule": crontab(minute=30, hour=int(config["LIST_AUDIT_HOUR"])),
            },
        },
    }


def celery_init_app(app):
    """Bind a Celery app to the Flask `app`: tasks run in its app context, each with the request
    id(s) it works for bound to its log records, one log line and its metrics."""
    from web import logs, metrics

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            started, outcome = time.perf_counter(), "failure"
            token = logs.bind_task(self)
            try:
                with app.app_context():
                    result = self.run(*args, **kwargs)
                outcome = "success"
                return result
            except Retry:
                outcome = "retry"
                raise
            finally:
                seconds = time.perf_counter() - started
                metrics.task_ran(self.name, outcome, seconds)
                logs.task_ran(self.name, outcome, seconds)
                logs.reset(token)

    celery_app = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery_app.config_from_object(celery_settings(app.config))
    from tasks import lists, minutes, outbox

    outbox.register(celery_app, app.config)
    lists.register(celery_app, app.config)
    minutes.register(celery_app, app.config)
    outbox.listen_for_commits()
    _worker_signals(app)
    app.extensions["celery"] = celery_app
    if app.config["HAND_OFF_THREAD"]:
        from tasks.handoff import HandOff

        app.extensions["hand_off"] = HandOff(
            app,
            celery_app,
            keeps_schedule=not app.config.get("CELERY_BROKER_URL"),
            gather=app.config["HAND_OFF_GATHER_SECONDS"],
        )
    return celery_app


def sweep_when_ready(sender, **kwargs):
    """A worker that starts queues a sweep that takes every pending row at once (grace 0).

    A worker killed (SIGKILL, OOM) took with it the messages it had reserved but not begun:
    Redis gives them back only after BROKER_VISIBILITY_TIMEOUT, hours later, and their rows,
    pending and unclaimed, would wait OUTBOX_SWEEP_GRACE_SECONDS for the sweep. Restarted, the
    worker queues them now; a row still queued as well is sent once all the same (a send
    claims its row first), and rows the dead worker had begun come back with their lease."""
    from tasks.outbox import SWEEP

    sender.app.send_task(SWEEP, kwargs={"grace": 0})


def _worker_signals(app):
    """In `celery worker` and `beat`: JSON logs like the web's (Celery configures its own only
    for LOG_FORMAT=text), the worker's metrics at WORKER_METRICS_LISTEN, and a sweep when a
    worker is ready (`sweep_when_ready`)."""
    signals.worker_ready.connect(sweep_when_ready, weak=False, dispatch_uid="commend-sweep")
    if app.config["LOG_FORMAT"] == "json":

        def setup_logging(loglevel=None, **kwargs):
            import sys

            from web import logs

            # The worker redirects sys.stderr into logging: write to the real one.
            logs.configure("json", loglevel or app.config["LOG_LEVEL"], stream=sys.__stderr__)

        signals.setup_logging.connect(setup_logging, weak=False, dispatch_uid="commend-logging")
    if app.config.get("WORKER_METRICS_LISTEN"):

        def serve_metrics(**kwargs):
            from web import metrics

            metrics.serve_worker_metrics(
                app.config["WORKER_METRICS_LISTEN"], app.config["METRICS_ALLOWED_ADDRESSES"]
            )

        signals.worker_init.connect(serve_metrics, weak=False, dispatch_uid="commend-metrics")


_worker_app = None


def __getattr__(name):
    """`celery -A tasks` looks up `tasks.app`: the Flask app and its Celery app, built once."""
    global _worker_app
    if name not in ("app", "celery"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _worker_app is None:
        from web import create_app

        _worker_app = create_app().extensions["celery"]
    return _worker_app
