"""gunicorn settings for the benchmark: each worker says when it has loaded the app.

A worker opens the shared socket before it imports the app, so an answer on the port does not
mean every worker serves yet; the load waits for one file per worker in BENCH_READY_DIR."""

import os
from pathlib import Path


def post_worker_init(worker):
    Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()
