"""Link health bookkeeping: which URLs ``mulu links check`` checks, what each run found, and when a link is broken.

The network side (bounded concurrency, timeouts, retries, HEAD then GET) is ``harvesters/links.py``: it
reaches remote hosts through the harvesters' safe HTTP client, which the catalog must not import.
It hands back :class:`LinkOutcome` values; :class:`LinkCheckService` stores them — one
``link_check_runs`` row per run, one ``link_check_results`` row per URL, and the per-URL state in
``link_checks`` that the quality score's link component reads. A link is broken only after
:data:`BROKEN_AFTER` failed runs in a row: one timeout is not a broken link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from catalog.coverage import access
from catalog.coverage.history import as_utc
from catalog.db import utcnow
from catalog.i18n import message
from catalog.models import Distribution, LinkCheck, Resource
from catalog.models.link import LinkCheckResult, LinkCheckRun
from catalog.permissions import require
from catalog.services.base import Service

#: Consecutive failed runs after which a link counts as broken (one timeout is not a broken link).
BROKEN_AFTER = 3
#: Runs whose per-URL results are kept; older ones are deleted by the next run (``link_checks`` stays).
KEEP_RUNS = 20
CHECKED_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class LinkOutcome:
    """What one check of one URL found (after its retries): answered, failed with a reason, or skipped.

    ``reason``: ``http_status``, ``timeout``, ``unreachable``, ``unresolvable``, ``redirect_loop``,
    ``too_many_redirects``, ``invalid`` or ``error`` for failures; ``scheme`` (not http or https) and
    ``refused`` (the host policy: a private address or a denied host) for skipped URLs.
    """

    url: str
    ok: bool
    skipped: bool = False
    reason: str | None = None
    status_code: int | None = None
    error: str | None = None
    method: str | None = None
    attempts: int = 1
    elapsed_ms: int | None = None
    final_url: str | None = None
    checked_at: datetime | None = None


def checkable(url: str) -> bool:
    """Whether a distribution URL is one the checker fetches (http or https)."""
    return urlsplit(url.strip()).scheme.lower() in CHECKED_SCHEMES


def record_result(session, url: str, *, ok: bool, status_code: int | None = None, error: str | None = None,
                  at: datetime | None = None) -> LinkCheck:
    """Record one check of a URL: a success resets the failure count, ``BROKEN_AFTER`` failures in a row break it.

    :param session: the caller's session (flushed, not committed).
    :param url: the URL as stored in the distribution.
    :param ok: whether the link answered usefully.
    :param status_code: the HTTP status, if any.
    :param error: a short reason for a failure (timeout, DNS, TLS …).
    :param at: when the check ran; now when omitted.
    :returns: the URL's row.
    """
    at = at or utcnow()
    check = session.scalars(select(LinkCheck).where(LinkCheck.url == url)).first()
    if check is None:
        check = LinkCheck(url=url, failures=0, broken=False)
        session.add(check)
    check.checked_at, check.status_code = at, status_code
    if ok:
        check.failures, check.broken, check.error, check.last_ok_at = 0, False, None, at
    else:
        check.failures = (check.failures or 0) + 1
        check.error = (error or "")[:500] or None
        check.broken = check.failures >= BROKEN_AFTER
    session.flush()
    return check


class LinkCheckService(Service):
    """Which URLs to check, and storing what a run found; the checking itself is ``harvesters.links``."""

    def urls(self, *, department_id: int | None = None, include_drafts: bool = False) -> list[str]:
        """The distinct distribution URLs of the catalog, in a stable order (drafts' only when asked).

        :param department_id: only this department's resources.
        :param include_drafts: check drafts' links too (left out by default, as the quality score leaves drafts out).
        :raises PermissionDeniedError: unless the actor is a catalog manager or an admin.
        """
        require(access.can_check_links(self.actor), message("check the catalog's links"))
        query = (select(Distribution.url).join(Resource, Resource.id == Distribution.resource_id)
                 .where(Distribution.url.is_not(None), Distribution.url != ""))
        if department_id is not None:
            query = query.where(Resource.department_id == department_id)
        if not include_drafts:
            query = query.where(Resource.status != "draft")
        urls = sorted({url.strip() for url in self.session.scalars(query) if url and url.strip()})
        checked = {url: at for url, at in self.session.execute(
            select(LinkCheck.url, LinkCheck.checked_at).where(LinkCheck.url.in_(urls)))} if urls else {}
        # Never checked first, then the longest unchecked: a run cut short by --limit moves on next time.
        never = [url for url in urls if url not in checked]
        return never + sorted((url for url in urls if url in checked), key=lambda url: (as_utc(checked[url]), url))

    def record(self, outcomes: Iterable[LinkOutcome], *, started_at: datetime,
               finished_at: datetime | None = None) -> LinkCheckRun:
        """Store one run: its results, each URL's consecutive failures, and which links broke in this run.

        Skipped URLs (not http/https, refused by the host policy) are listed in the run but never count
        for or against a link. Runs older than the last :data:`KEEP_RUNS` lose their per-URL results.

        :param outcomes: what the checker found, one per URL.
        :param started_at: when the run began (before the first request).
        :param finished_at: when it ended; the container's clock when omitted.
        :returns: the run, flushed.
        :raises PermissionDeniedError: unless the actor is a catalog manager or an admin.
        """
        require(access.can_check_links(self.actor), message("check the catalog's links"))
        finished_at = finished_at or self.container.now()
        run = LinkCheckRun(started_at=started_at, finished_at=finished_at, actor_name=self.actor.name[:100],
                           checked=0, ok=0, failed=0, skipped=0, newly_broken=0)
        self.session.add(run)
        self.session.flush()
        for outcome in outcomes:
            at = outcome.checked_at or finished_at
            link_id = None
            if outcome.skipped:
                run.skipped += 1
            else:
                run.checked += 1
                run.ok += outcome.ok
                run.failed += not outcome.ok
                was_broken = bool(self.session.scalar(select(LinkCheck.broken).where(LinkCheck.url == outcome.url)))
                check = record_result(self.session, outcome.url, ok=outcome.ok, status_code=outcome.status_code,
                                      error=outcome.error or outcome.reason, at=at)
                run.newly_broken += check.broken and not was_broken
                link_id = check.id
            self.session.add(LinkCheckResult(
                run_id=run.id, link_id=link_id, url=outcome.url[:2000], ok=outcome.ok, skipped=outcome.skipped,
                reason=outcome.reason, status_code=outcome.status_code, error=(outcome.error or "")[:500] or None,
                method=outcome.method, attempts=outcome.attempts, elapsed_ms=outcome.elapsed_ms,
                final_url=(outcome.final_url or "")[:2000] or None, checked_at=at))
        self.session.flush()
        self._prune()
        self.audit("links.check", "link_check_run", run.id,
                   {"checked": run.checked, "ok": run.ok, "failed": run.failed, "skipped": run.skipped,
                    "newly_broken": run.newly_broken})
        return run

    def links(self, *, broken_only: bool = False, failing_only: bool = False) -> list[LinkCheck]:
        """The checked URLs with their state, failing ones first."""
        require(access.can_view_coverage(self.actor), message("read coverage reports"))
        query = select(LinkCheck)
        if broken_only:
            query = query.where(LinkCheck.broken.is_(True))
        elif failing_only:
            query = query.where(LinkCheck.failures > 0)
        return list(self.session.scalars(query.order_by(LinkCheck.failures.desc(), LinkCheck.url)))

    def _prune(self) -> None:
        ids = list(self.session.scalars(select(LinkCheckRun.id).order_by(LinkCheckRun.id.desc()).offset(KEEP_RUNS)))
        if not ids:
            return
        # Bulk deletes bypass the ORM cascade: the results go first, whatever the database's FK actions.
        self.session.execute(delete(LinkCheckResult).where(LinkCheckResult.run_id.in_(ids)),
                             execution_options={"synchronize_session": False})
        self.session.execute(delete(LinkCheckRun).where(LinkCheckRun.id.in_(ids)),
                             execution_options={"synchronize_session": False})
