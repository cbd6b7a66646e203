"""The project's Celery app, as a fault test's worker runs it (``-A`` this module).

Test-only, set by environment variables; the application code is unchanged:

- ``FAULTS_TASK_QUEUE``: the queue tasks are sent to (the test worker's own).

- ``FAULTS_VISIBILITY_TIMEOUT`` (seconds): the Redis transport redelivers a message
  left unacknowledged by a dead worker only once it is older than the visibility
  timeout (kombu ``QoS.restore_visible``: on the new worker's first poll, then every
  ``unacked_restore_interval`` seconds). Production keeps an hour; a test that
  kills a worker cannot wait that long.
- ``FAULTS_CHECKPOINT_DIR``: once the test creates ``<name>.armed`` there (name
  ``image`` or ``ais``), the next run of that processing stops at a checkpoint
  inside its database transaction (after the derived rows are written, before
  commit), announces it with ``<name>.reached`` and waits to be killed. A polled
  "running" state would race the task's end; the checkpoint lands the kill
  mid-task every time. Later runs (the redelivery) pass straight through.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from provenance.celery import app

CHECKPOINT_WAIT_SECONDS = 120

# Tasks the worker itself sends (the outbox sweep hands deliveries on) stay on the
# test's queue, where this worker listens, instead of the default "celery".
if os.environ.get("FAULTS_TASK_QUEUE"):
    app.conf.task_default_queue = os.environ["FAULTS_TASK_QUEUE"]

visibility = os.environ.get("FAULTS_VISIBILITY_TIMEOUT")
if visibility:
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "visibility_timeout": float(visibility),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }


def _checkpoint(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    folder = Path(os.environ["FAULTS_CHECKPOINT_DIR"])

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        reached = folder / f"{name}.reached"
        if (folder / f"{name}.armed").exists() and not reached.exists():
            reached.write_text(str(os.getpid()))
            time.sleep(CHECKPOINT_WAIT_SECONDS)  # killed here by the test
        return function(*args, **kwargs)

    return wrapper


if os.environ.get("FAULTS_CHECKPOINT_DIR"):
    import django

    django.setup()  # the evidence modules need the app registry (idempotent)

    from evidence.ais import services as ais_services
    from evidence.images import services

    # Both run inside the task's one transaction, after its derived rows are written.
    services._record_processing_steps = _checkpoint(
        "image", services._record_processing_steps
    )
    ais_services.save_analysis = _checkpoint("ais", ais_services.save_analysis)
