"""Link health bookkeeping for the future ``mulu links check``: a link is broken only after repeated failures.

The checker (bounded concurrency, timeouts, retries) is not written yet; it will call
:func:`record_result` once per URL and run, and the quality score reads the ``link_checks`` rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from catalog.db import utcnow
from catalog.models import LinkCheck

#: Consecutive failed runs after which a link counts as broken (one timeout is not a broken link).
BROKEN_AFTER = 3


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
