"""The harvest runner: one job per run, records written as they arrive, a reaper for stuck jobs, due sources.

The runner is the unit of work of a harvest: it commits the job as ``running`` at once (so the
portal and the reaper see it), then hands the records to :mod:`harvesters.records` in batches of
``COMMIT_EVERY`` and commits each batch together with a heartbeat, and the final state at the end.
A bad record rolls back alone (SAVEPOINTs) and a crash keeps every batch written before it. Pages
that did not change since the last run are not parsed again (:mod:`harvesters.pages`). A dry run does all the work — fetching, mapping, validation, even the writes —
and rolls every record back; the job itself is never stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.db import utcnow
from catalog.errors import ConflictError
from catalog.i18n import Message, message
from catalog.services.resource import ResourceService
from harvesters import registry
from harvesters.base import HarvestContext, HarvestError
from harvesters.http import HttpClient, HttpPolicy
from harvesters.models import HarvestJob, HarvestRecord, HarvestSource, aware
from harvesters.notify import notify_job
from harvesters.pages import PageMemo
from harvesters.records import Outcome, RecordWriter

log = logging.getLogger(__name__)
COMMIT_EVERY = 100
#: A running job without a heartbeat for this long is taken for dead (its worker restarted or crashed).
STALE_AFTER = timedelta(minutes=30)
SCHEDULE_INTERVALS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
ERROR_STATES = frozenset({"error", "conflict"})
PREVIEW_LIMIT = 1000


def both_locales(msg: Message | None) -> dict[str, str]:
    """A message rendered for storage in both locales."""
    return {} if msg is None else {"zh_CN": msg.render("zh_CN"), "en": msg.render("en")}


@dataclass
class JobResult:
    """The job (stored, or transient in a dry run) and the outcomes worth showing (not the unchanged ones)."""

    job: HarvestJob
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        counts = dict(self.job.counts or {})
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        self.job.counts = counts
        if outcome.status != "unchanged" and len(self.outcomes) < PREVIEW_LIMIT:
            self.outcomes.append(outcome)


class HarvestBusyError(ConflictError):
    """The source has a job running already."""


def settings_hash(source: HarvestSource) -> str:
    """A hash of what decides how records map: type, URL, config, defaults, trust."""
    text = json.dumps([source.type, source.url, source.config, source.defaults, source.trusted], sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_source(container, session: Session, source: HarvestSource, *, dry_run: bool = False, max_items: int | None = None,
               http: HttpClient | None = None, secrets: Mapping[str, str] | None = None,
               now: Callable[[], datetime] = utcnow, progress: Callable[[int, int | None], None] | None = None,
               client: str = "cli") -> JobResult:
    """Harvest a source once.

    :param session: the runner commits on it (the job at the start, every ``COMMIT_EVERY`` records, the end).
    :param dry_run: do everything, keep nothing: the result lists what would happen.
    :param max_items: stop after this many records (the listing then counts as incomplete: nothing is withdrawn).
    :param http: the HTTP client (tests inject one that may reach 127.0.0.1); built from the settings otherwise.
    :param secrets: where ``env:NAME`` credentials are looked up (the process environment by default).
    :param now: the clock (tests move it to pass a grace period).
    :param progress: called with (records done, total announced by the remote or ``None``).
    :returns: the job and the notable outcomes.
    :raises HarvestBusyError: when the source has a running job (and this is no dry run).
    """
    started = now()
    reap_stuck_jobs(session, started, container=container)
    if not dry_run and _running_job(session, source.id) is not None:
        raise HarvestBusyError(message("The source {source} is being harvested already.", source=source.name))
    job = HarvestJob(source_id=source.id, status="running", started_at=started, heartbeat_at=started, max_items=max_items,
                     settings_hash=settings_hash(source), total=0, counts={}, errors=[], client=client[:200])
    result = JobResult(job)
    try:
        harvester_class = registry.get(source.type)
        config = harvester_class.load_config(source.config)
    except Exception as exc:  # unknown type or a config that no longer validates: the job fails visibly
        return _finish_early(container, session, result, dry_run,
                             message("The source cannot be run: {detail}", detail=str(exc)), now())
    job.since = _since(session, source, job.settings_hash) if config.get("incremental", True) else None
    if not dry_run:
        session.add(job)
        session.commit()
    owned = http is None
    http = http or HttpClient(HttpPolicy.from_settings(container.settings, max_bytes=config.get("max_bytes")))
    total: list[int | None] = [None]

    def announce(value: int) -> None:
        total[0] = value

    pages = None if dry_run else PageMemo(session, source.id, job.settings_hash)
    context = HarvestContext(url=source.url, config=config, http=http, vocab=container.vocab, profile=container.profile,
                             since=job.since, secrets=secrets if secrets is not None else os.environ, on_total=announce,
                             pages=pages)
    harvester = harvester_class(context)
    service = ResourceService(container, session, Actor.system(client=f"harvest:{source.name}"))
    writer = RecordWriter(service, source, harvester, job_id=job.id, dry_run=dry_run, now=started)
    deadline = time.monotonic() + source.timeout_minutes * 60
    seen: set[str] = set()
    batch: list = []
    cut_short = fatal = False

    def write_batch() -> None:
        outcomes = writer.process_batch(batch)
        batch.clear()
        for outcome in outcomes:
            result.count(outcome)
        _store_reports(session, job, outcomes, dry_run)
        if pages is not None:
            pages.settle((outcome.remote_id, outcome.status) for outcome in outcomes)
        job.total = len(seen)
        if progress:
            progress(len(seen), total[0])
        if not dry_run:
            _checkpoint(session, job, source, now())

    try:
        try:
            for record in harvester.gather():
                if record.remote_id in seen:
                    continue  # listed twice (pages shifted while paging): one record, one write
                if max_items is not None and len(seen) >= max_items:
                    cut_short = True
                    break
                if time.monotonic() > deadline:
                    job.status = "timed_out"
                    _job_error(job, message("The job ran longer than {minutes} minutes and was stopped.",
                                            minutes=source.timeout_minutes))
                    break
                seen.add(record.remote_id)
                batch.append(record)
                if len(batch) >= COMMIT_EVERY:
                    write_batch()
        finally:
            if batch:
                write_batch()  # what was read before a failure is still written
    except HarvestError as exc:
        fatal = True
        _job_error(job, exc.message, exc.url, exc.hint)
    except Exception as exc:  # never leave a job "running" behind an unforeseen failure
        fatal = True
        log.exception("harvest of %s failed", source.name)
        _job_error(job, message("Unexpected error: {detail}", detail=f"{type(exc).__name__}: {exc}"[:500]))
    finally:
        if owned:
            http.close()
    for warning in context.warnings:
        _job_error(job, warning.message, warning.url, warning.hint)
    writer.mark_seen(seen)
    if not (fatal or cut_short or job.status == "timed_out") and context.listing_complete:
        swept = writer.sweep(seen)
        for outcome in swept:
            result.count(outcome)
        _store_reports(session, job, swept, dry_run)
    job.status = _final_state(job, fatal)
    job.finished_at = now()
    job.heartbeat_at = job.finished_at
    if not dry_run:
        notify_job(container, session, job)
        session.commit()
    return result


def _finish_early(container, session: Session, result: JobResult, dry_run: bool, reason: Message,
                  moment: datetime) -> JobResult:
    job = result.job
    _job_error(job, reason)
    job.status = "failed"
    job.finished_at = job.heartbeat_at = moment
    if not dry_run:
        session.add(job)
        session.flush()
        notify_job(container, session, job)
        session.commit()
    return result


def _final_state(job: HarvestJob, fatal: bool) -> str:
    if job.status == "timed_out":
        return "timed_out"
    if fatal and job.total == 0:
        return "failed"
    counts = job.counts or {}
    if fatal or job.errors or any(counts.get(state) for state in ERROR_STATES):
        return "done_with_errors"
    return "done"


def _job_error(job: HarvestJob, msg: Message, url: str | None = None, hint: Message | None = None) -> None:
    job.errors = [*(job.errors or []), {"message": both_locales(msg), "url": url, "hint": both_locales(hint)}]


def _store_reports(session: Session, job: HarvestJob, outcomes: list[Outcome], dry_run: bool) -> None:
    """The per-record report rows of what was not unchanged, in one statement."""
    rows = [{"job_id": job.id, "remote_id": o.remote_id[:500], "url": (o.url or "")[:2000] or None, "status": o.status,
             "resource_id": o.resource_id, "message": both_locales(o.message), "hint": both_locales(o.hint),
             "fields": {path: {"zh_CN": [m.render("zh_CN") for m in msgs], "en": [m.render("en") for m in msgs]}
                        for path, msgs in o.fields.items()}, "created_at": utcnow()}
            for o in outcomes if o.status != "unchanged"]
    if rows and not dry_run:
        session.execute(insert(HarvestRecord), rows)


def _checkpoint(session: Session, job: HarvestJob, source: HarvestSource, moment: datetime) -> None:
    """Commit what is done with a heartbeat, and forget the written objects so memory stays flat."""
    job.heartbeat_at = moment
    session.commit()
    keep = {id(job), id(source), id(source.department)}
    for obj in list(session):
        # Expunging a resource cascades to its items and distributions: check each is still there.
        if id(obj) not in keep and obj in session:
            session.expunge(obj)


def _running_job(session: Session, source_id: int) -> HarvestJob | None:
    return session.scalars(select(HarvestJob).where(HarvestJob.source_id == source_id,
                                                    HarvestJob.status == "running")).first()


def _since(session: Session, source: HarvestSource, digest: str) -> datetime | None:
    """The start of the last successful run with the same settings (an incremental run starts there)."""
    last = session.scalars(select(HarvestJob).where(HarvestJob.source_id == source.id, HarvestJob.status == "done")
                           .order_by(HarvestJob.started_at.desc()).limit(1)).first()
    if last is None or last.settings_hash != digest:
        return None
    return aware(last.started_at)


def reap_stuck_jobs(session: Session, now: datetime | None = None, stale_after: timedelta = STALE_AFTER, *,
                    container=None) -> list[HarvestJob]:
    """End jobs left ``running`` by a worker that died: no heartbeat for ``stale_after``, or past their timeout.

    :param container: when given, the department of each ended job is notified.
    :returns: the jobs set to ``timed_out`` (flushed, not committed).
    """
    now = now or utcnow()
    reaped = []
    for job in session.scalars(select(HarvestJob).where(HarvestJob.status == "running")).all():
        heartbeat = aware(job.heartbeat_at) or aware(job.started_at)
        limit = aware(job.started_at) + timedelta(minutes=job.source.timeout_minutes) + stale_after
        if heartbeat + stale_after < now or limit < now:
            job.status = "timed_out"
            job.finished_at = now
            _job_error(job, message("The job stopped giving signs of life (last at {moment}); it was ended.",
                                    moment=heartbeat.isoformat(timespec="seconds")),
                       hint=message("The harvest process was probably restarted; the next run starts afresh."))
            reaped.append(job)
    if reaped:
        session.flush()
    if container is not None:
        for job in reaped:
            notify_job(container, session, job)
    return reaped


def due_sources(session: Session, now: datetime | None = None) -> list[HarvestSource]:
    """Active scheduled sources whose last run started longer ago than their interval (or never ran)."""
    now = now or utcnow()
    due = []
    for source in session.scalars(select(HarvestSource).where(HarvestSource.active.is_(True),
                                                              HarvestSource.schedule != "manual")).all():
        last = session.scalars(select(HarvestJob).where(HarvestJob.source_id == source.id)
                               .order_by(HarvestJob.started_at.desc()).limit(1)).first()
        if last is not None and last.status == "running":
            continue
        interval = SCHEDULE_INTERVALS.get(source.schedule)
        if interval and (last is None or aware(last.started_at) + interval <= now):
            due.append(source)
    return due


def run_due(container, *, now: Callable[[], datetime] = utcnow, http: HttpClient | None = None,
            secrets: Mapping[str, str] | None = None, client: str = "cron") -> list[JobResult]:
    """Reap stuck jobs, then run every due source, each in a session of its own (one failure stops nothing).

    :returns: the results of the runs that started.
    """
    results = []
    with container.unit_of_work() as session:
        reap_stuck_jobs(session, now(), container=container)
        ids = [source.id for source in due_sources(session, now())]
    for source_id in ids:
        session = container.session_factory()
        try:
            source = session.get(HarvestSource, source_id)
            result = run_source(container, session, source, http=http, secrets=secrets, now=now, client=client)
            result.job.source  # noqa: B018 (loaded while the session is open: callers print its name)
            results.append(result)
        except HarvestBusyError:
            session.rollback()
        except Exception:
            session.rollback()
            log.exception("scheduled harvest of source %s failed", source_id)
        finally:
            session.close()
    return results
