"""The link checker behind ``mulu links check``: do the distributions' URLs answer? HEAD, then GET, with retries.

It lives with the harvesters because it reaches remote hosts, and it does so only through their safe
HTTP client (:mod:`harvesters.http`): http and https only, every address checked against the host
policy (loopback, private and metadata addresses refused unless allowed), connect and read timeouts,
redirects followed by hand with loops caught. The catalog never imports it: it stores the
:class:`~catalog.coverage.links.LinkOutcome` values this module returns, and the quality score reads them.

- Bounded concurrency: a thread pool of ``concurrency`` workers, each with its own connection pools, and at
  most ``per_host`` requests to one host at a time (a city's links are mostly on a few government
  servers, which must not see the whole pool at once).
- A check is HEAD; a server that answers HEAD with an error status gets a GET (many refuse HEAD), whose
  body is never downloaded — the status line is the answer.
- A failure that may pass (a timeout, a refused connection, 429, 5xx) is retried ``retries`` times after
  ``backoff``, 2×``backoff`` … seconds — or after the server's ``Retry-After`` (seconds or an HTTP date,
  at most ``MAX_BACKOFF``) when a 429 or 503 gives one; a 404 is not retried within a run. Across runs, only
  ``BROKEN_AFTER`` failures in a row make a link broken (``catalog.coverage.links``).
- Skipped, not failed: URLs that are not http or https, and hosts the policy refuses (an intranet
  address is not broken just because the catalog server may not reach it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from catalog.coverage.links import LinkOutcome, checkable
from catalog.db import utcnow
from harvesters.base import HarvestError
from harvesters.http import HttpClient, HttpPolicy, Response

USER_AGENT = "Mulu-linkcheck/0.1 (+government information resource catalog)"
# Statuses worth another attempt within the run; anything else is the server's answer.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
TRANSIENT_REASONS = frozenset({"timeout", "unreachable"})
MAX_BACKOFF = 30.0
# The messages of harvesters.http's refusals, by their msgid: the policy refused the host (skip the URL)
# or the network failed in a known way (tests/coverage/test_links.py keeps these in step with http.py).
POLICY_REFUSALS = frozenset({
    "The host {host} is on the deny list.",
    "{host} resolves to the non-public address {address}, which is not fetched.",
})
FAILURE_REASONS = {
    "The host name {host} cannot be resolved.": "unresolvable",
    "{url} did not answer in time.": "timeout",
    "{url} cannot be reached ({detail}).": "unreachable",
    "Reading {url} failed ({detail}).": "unreachable",
    "Only http and https addresses are fetched, not {url}.": "scheme",
    "{url} has no host name.": "invalid",
}


@dataclass(frozen=True)
class LinkPolicy:
    """How hard to try: workers, timeouts, retries and the pause before them."""

    concurrency: int = 8
    per_host: int = 4
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    retries: int = 2
    backoff: float = 1.0
    max_redirects: int = 5


class _StatusClient(HttpClient):
    """The harvesters' HTTP client, reading the status line and headers only: a link check needs no body."""

    def _read(self, url: str, raw, limit: int, deadline: float) -> Response:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        raw.close()  # a dataset may be gigabytes; closing drops the connection instead of draining it
        return Response(url=url, status=raw.status, headers=headers)


class LinkChecker:
    """Check URLs under a :class:`LinkPolicy` and the harvesters' :class:`~harvesters.http.HttpPolicy`."""

    def __init__(self, policy: LinkPolicy | None = None, http: HttpPolicy | None = None, *,
                 resolver: Callable | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable = utcnow):
        self.policy = policy or LinkPolicy()
        base = http or HttpPolicy()
        # The link policy's timeouts win; the whole answer may take both (no body is read).
        self.http = replace(base, connect_timeout=self.policy.connect_timeout, read_timeout=self.policy.read_timeout,
                            total_timeout=self.policy.connect_timeout + self.policy.read_timeout,
                            max_redirects=self.policy.max_redirects)
        self.resolver = resolver
        self.sleep = sleep
        self.clock = clock
        self._local = threading.local()
        self._clients: list[HttpClient] = []
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}

    def check_all(self, urls: Iterable[str], progress: Callable[[LinkOutcome], None] | None = None) -> list[LinkOutcome]:
        """Check every URL with at most ``concurrency`` at a time; outcomes in the order of ``urls``.

        :param progress: called with each outcome as it arrives (from the calling thread).
        """
        urls = list(urls)
        workers = max(1, min(self.policy.concurrency, len(urls) or 1))
        outcomes = []
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="linkcheck") as pool:
                for outcome in pool.map(self.check, urls):
                    outcomes.append(outcome)
                    if progress is not None:
                        progress(outcome)
        finally:
            self.close()
        return outcomes

    def close(self) -> None:
        """Close the workers' pooled connections."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self._local = threading.local()

    def check(self, url: str) -> LinkOutcome:
        """Check one URL: HEAD (GET when HEAD is refused), retried after a pause while the failure may pass."""
        started = time.monotonic()
        if not checkable(url):
            return LinkOutcome(url, ok=False, skipped=True, reason="scheme", attempts=0, checked_at=self.clock())
        attempts = 0
        while True:
            attempts += 1
            with self._host_slot(url):
                outcome, retry_after = self._attempt(url)
            if outcome.ok or outcome.skipped or attempts > self.policy.retries or not self._transient(outcome):
                break
            # The pause is taken outside the host's slot: other URLs of the host may go meanwhile.
            pause = retry_after if retry_after is not None else self.policy.backoff * 2 ** (attempts - 1)
            self.sleep(min(MAX_BACKOFF, pause))
        elapsed = int(1000 * (time.monotonic() - started))
        return replace(outcome, attempts=attempts, elapsed_ms=elapsed, checked_at=self.clock())

    # -- internals ---------------------------------------------------------------------------

    def _client(self) -> HttpClient:
        client = getattr(self._local, "client", None)
        if client is None:
            extra = {"resolver": self.resolver} if self.resolver is not None else {}
            client = _StatusClient(policy=self.http, **extra)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            slot = self._hosts.get(host)
            if slot is None:
                slot = self._hosts[host] = threading.BoundedSemaphore(max(1, self.policy.per_host))
        return slot

    @staticmethod
    def _transient(outcome: LinkOutcome) -> bool:
        return outcome.reason in TRANSIENT_REASONS or outcome.status_code in TRANSIENT_STATUSES

    def _attempt(self, url: str) -> tuple[LinkOutcome, float | None]:
        """One check (HEAD, then GET if HEAD is refused) and the seconds the server asked to wait, if it did."""
        outcome, retry_after = self._follow("HEAD", url)
        # "Too many requests" or "come back later" is no refusal of HEAD: asking again at once would be rude.
        throttled = outcome.status_code == 429 or retry_after is not None
        if not outcome.ok and outcome.reason == "http_status" and not throttled:
            # Many servers answer HEAD with 403, 404, 405 or 501 and GET with the file: ask again properly.
            outcome, retry_after = self._follow("GET", url)
        return outcome, retry_after

    def _follow(self, method: str, url: str) -> tuple[LinkOutcome, float | None]:
        """One request and its redirects, each hop checked by the host policy; loops are reported as loops."""
        client = self._client()
        deadline = time.monotonic() + self.http.total_timeout
        seen: list[str] = []
        current = url
        while True:
            if current in seen:
                return LinkOutcome(url, ok=False, reason="redirect_loop", method=method, final_url=current,
                                   error=f"{current} leads back to itself"), None
            if len(seen) > self.http.max_redirects:
                return LinkOutcome(url, ok=False, reason="too_many_redirects", method=method, final_url=current,
                                   error=f"more than {self.http.max_redirects} redirects"), None
            seen.append(current)
            try:
                # The client's own hop (scheme, host policy, pinned address, timeouts) without its redirect loop,
                # so that every status and hop is seen here.
                response = client._request(current, {"User-Agent": USER_AGENT}, 1, deadline, self.http.read_timeout,
                                           method=method)
            except HarvestError as error:
                return self._refused(url, method, current, error), None
            location = response.headers.get("location")
            if 300 <= response.status < 400 and location:
                current = urljoin(current, location)
                continue
            ok = response.status < 400
            outcome = LinkOutcome(url, ok=ok, reason=None if ok else "http_status", status_code=response.status,
                                  method=method, final_url=current, error=None if ok else f"HTTP {response.status}")
            asked = retry_after(response.headers.get("retry-after")) if response.status in (429, 503) else None
            return outcome, asked

    @staticmethod
    def _refused(url: str, method: str, current: str, error: HarvestError) -> LinkOutcome:
        msgid = error.message.msgid
        detail = error.message.render("en")[:500]
        if msgid in POLICY_REFUSALS:
            return LinkOutcome(url, ok=False, skipped=True, reason="refused", method=method, final_url=current,
                               error=detail)
        return LinkOutcome(url, ok=False, reason=FAILURE_REASONS.get(msgid, "error"), method=method,
                           final_url=current, error=detail)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks for (a number or an HTTP date), ``None`` when unreadable.

    :param now: the present, for an HTTP date (default: the system clock).
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def summary(outcomes: Iterable[LinkOutcome]) -> Mapping[str, int]:
    """How many URLs answered, failed and were skipped."""
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    for outcome in outcomes:
        counts["skipped" if outcome.skipped else "ok" if outcome.ok else "failed"] += 1
    return counts
