"""``mulu harvest worker``: a long-running process that runs due harvest jobs.

Without Redis (``MULU_REDIS_URL`` unset) each tick does what ``mulu harvest run-due`` does, in process.
With Redis, each tick reaps stuck jobs, **enqueues** every due source on the RQ queue ``mulu-harvest``
(job id ``mulu-harvest-source-<id>``, so a source queued or running on any machine is not queued
twice), then works the queue in burst mode: several workers on several machines share the sources,
and the runner's own lock (a ``running`` job per source) keeps one source from running twice.

An RQ job carries only the source id; the worker process that picks it up builds its container
from its own settings (``Container.from_settings``), unless :func:`run_worker` registered one (the
in-process :class:`rq.SimpleWorker` used here and in tests).

"Run now" in the portal (:func:`request_run`) takes the same path: with Redis the source is put on
the queue (once: a queued or running source is "busy"), without it the run starts in a thread of the
web process. Either way :func:`run_one` and the runner do the work, so the job, its lock and its
notifications are those of a scheduled run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from catalog.db import utcnow
from harvesters.models import HarvestJob, HarvestSource
from harvesters.runner import HarvestBusyError, due_sources, reap_stuck_jobs, run_due, run_source

QUEUE = "mulu-harvest"
log = logging.getLogger(__name__)
# What run_worker shares with the jobs it works in process: container, http client, clock.
_local: dict[str, Any] = {}


def redis_url(settings) -> str | None:
    """``MULU_REDIS_URL`` (``settings.redis_url``), or ``None`` for the in-process worker."""
    return settings.redis_url or None


def enqueue_due(container, connection, *, now: Callable[[], datetime] = utcnow, queue_name: str = QUEUE) -> list[int]:
    """Reap stuck jobs and put every due source on the queue (unless already queued or running).

    :returns: the ids of the sources enqueued now.
    """
    with container.unit_of_work() as session:
        reap_stuck_jobs(session, now(), container=container)
        ids = [source.id for source in due_sources(session, now())]
    return [source_id for source_id in ids if enqueue_source(connection, source_id, queue_name=queue_name)]


def enqueue_source(connection, source_id: int, *, queue_name: str = QUEUE, manual: bool = False) -> bool:
    """Put one source on the queue unless it is queued or running there already (on any machine).

    :param manual: a person asked for it: the run happens even if the source is inactive.
    :returns: whether it was enqueued now.
    """
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    job_id = f"{queue_name}-source-{source_id}"
    try:
        status = Job.fetch(job_id, connection=connection).get_status(refresh=True)
    except NoSuchJobError:
        status = None
    if status is not None and str(getattr(status, "value", status)) in ("queued", "started", "deferred", "scheduled"):
        return False
    Queue(queue_name, connection=connection).enqueue(
        harvest_source_job, source_id, manual=manual, job_id=job_id, job_timeout=6 * 3600, result_ttl=86400,
        failure_ttl=7 * 86400)
    return True


def harvest_source_job(source_id: int, manual: bool = False) -> dict[str, Any] | None:
    """The RQ job: harvest one source; returns the job's status and counts (kept as the RQ result)."""
    container = _local.get("container")
    if container is None:
        from catalog.config import Settings
        from catalog.container import Container

        container = Container.from_settings(Settings.from_env())
    return run_one(container, source_id, client="portal" if manual else "worker", manual=manual,
                   http=_local.get("http"), now=_local.get("now") or utcnow)


def run_one(container, source_id: int, *, client: str, manual: bool = False, http=None,
            now: Callable[[], datetime] = utcnow) -> dict[str, Any] | None:
    """Harvest one source in a session of its own; a busy source is reported, not raised.

    :param manual: run even an inactive source (a person asked for it).
    :returns: the job's status and counts, ``{"status": "busy"}``, or ``None`` without such (active) source.
    """
    session = container.session_factory()
    try:
        source = session.get(HarvestSource, source_id)
        if source is None or not (source.active or manual):
            return None
        result = run_source(container, session, source, client=client, http=http, now=now)
        return {"source": source.name, "status": result.job.status, "counts": dict(result.job.counts)}
    except HarvestBusyError:
        session.rollback()
        return {"source_id": source_id, "status": "busy"}
    finally:
        session.close()


@dataclass
class RunRequest:
    """What asking for a run did: ``queued`` (RQ), ``started`` (a thread of this process) or ``busy``."""

    status: str
    thread: threading.Thread | None = None


#: The latest in-process run of each source (tests join them; a finished thread is simply replaced).
BACKGROUND: dict[int, threading.Thread] = {}


def request_run(container, source_id: int, *, client: str = "portal", http=None, queue_name: str = QUEUE) -> RunRequest:
    """Run a source now without making the caller wait: on the RQ queue with Redis, else in a background thread.

    Both go through :func:`run_one` and the runner, so the job, its lock and its notifications are
    the same as a scheduled run's. Without Redis the run lives in this process: a restart ends it
    and the reaper later marks the job ``timed_out``.

    :returns: ``busy`` when the source is running (or queued) already.
    """
    with container.unit_of_work() as session:
        running = session.scalars(select(HarvestJob.id).where(HarvestJob.source_id == source_id,
                                                              HarvestJob.status == "running")).first()
    previous = BACKGROUND.get(source_id)
    if running is not None or (previous is not None and previous.is_alive()):
        return RunRequest("busy")
    url = redis_url(container.settings)
    if url:
        from redis import Redis

        queued = enqueue_source(Redis.from_url(url), source_id, queue_name=queue_name, manual=True)
        return RunRequest("queued" if queued else "busy")
    thread = threading.Thread(target=_run_logged, args=(container, source_id, client, http), daemon=True,
                              name=f"harvest-source-{source_id}")
    BACKGROUND[source_id] = thread
    thread.start()
    return RunRequest("started", thread)


def _run_logged(container, source_id: int, client: str, http) -> None:
    try:
        run_one(container, source_id, client=client, manual=True, http=http)
    except Exception:  # a thread's exception would only reach stderr
        log.exception("harvest of source %s failed", source_id)


def run_worker(container, *, redis: str | None = None, interval: float = 60.0, once: bool = False,
               stop: threading.Event | None = None, queue_name: str = QUEUE, http=None,
               now: Callable[[], datetime] = utcnow, on_tick: Callable[[list], None] | None = None) -> None:
    """Run due harvest jobs every ``interval`` seconds until ``stop`` is set (or after one tick with ``once``).

    :param redis: a Redis URL: share the work through RQ; ``None``: run in process.
    """
    stop = stop or threading.Event()
    connection = None
    if redis:
        from redis import Redis

        connection = Redis.from_url(redis)
        connection.ping()
    _local.update(container=container, http=http, now=now)
    try:
        while not stop.is_set():
            try:
                if connection is None:
                    done = run_due(container, client="worker", http=http, now=now)
                else:
                    from rq import Queue, SimpleWorker

                    done = enqueue_due(container, connection, queue_name=queue_name, now=now)
                    queue = Queue(queue_name, connection=connection)
                    SimpleWorker([queue], connection=connection).work(burst=True, logging_level="WARNING")
            except Exception:  # one bad tick (Redis away, database restarting) must not end the worker
                log.exception("harvest worker tick failed")
                done = []
            if on_tick:
                on_tick(done)
            if once:
                return
            stop.wait(interval)
    finally:
        _local.clear()
