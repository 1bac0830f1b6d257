"""Skipping unchanged pages: a page whose bytes (and the source's settings) did not change is not parsed again.

A harvester that reads pages asks :meth:`PageMemo.recall` with the bytes it fetched; when the
source read the same bytes last time, and every record of that page was then written or found
unchanged, it gets back the memo it left (``ids``: the remote ids listed, plus what it needs to go
on, such as the next page) and yields those ids as "listed, unchanged" records without parsing.
Otherwise it parses the page and leaves a memo with :meth:`PageMemo.remember` *before* yielding
its records; the runner reports each record's outcome (:meth:`PageMemo.settle`), and once a page's
records are all accounted for its row is stored — or dropped when one of them failed, was a
conflict or was deferred, so that the next run reads that page in full again.

Only complete, real runs use it: a dry run neither recalls nor remembers, and a page whose records
were not all processed (``--max-items``, a timeout, a failure) is not stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.db import utcnow
from harvesters.models import HarvestPage

#: Outcomes after which a page may be skipped next time (the others must be tried again).
CLEAN = frozenset({"created", "updated", "unchanged"})
#: Bumped when a change of the harvesters' mapping must make every page be read again.
MAPPING_VERSION = "1"


def _key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class PageMemo:
    """Recall and remember the pages of one source during one run."""

    def __init__(self, session: Session, source_id: int, settings_digest: str):
        self.session = session
        self.source_id = source_id
        self.salt = f"{MAPPING_VERSION}:{settings_digest}:".encode()
        # Pages read in this run whose records are not all accounted for: url → (digest, memo, waiting ids, clean).
        self._open: dict[str, tuple[str, dict, set[str], bool]] = {}
        self._page_of: dict[str, str] = {}

    def digest(self, content: bytes) -> str:
        return hashlib.sha256(self.salt + content).hexdigest()

    def recall(self, url: str, content: bytes) -> dict | None:
        """The memo left for this page when its bytes were the same, or ``None`` (parse it)."""
        row = self.session.scalars(select(HarvestPage).where(HarvestPage.source_id == self.source_id,
                                                             HarvestPage.url_key == _key(url))).first()
        if row is None or row.digest != self.digest(content):
            return None
        return dict(row.memo or {})

    def remember(self, url: str, content: bytes, memo: dict) -> None:
        """Note a page just parsed; it is stored once each of ``memo["ids"]`` has a clean outcome."""
        ids = set(memo.get("ids") or ())
        self._open[url] = (self.digest(content), memo, ids, True)
        for remote_id in ids:
            self._page_of[remote_id] = url
        if not ids:
            self._close(url)

    def settle(self, outcomes: Iterable[tuple[str, str]]) -> None:
        """Account for processed records, ``(remote id, status)`` pairs; store or drop the pages they complete."""
        for remote_id, status in outcomes:
            url = self._page_of.pop(remote_id, None)
            if url is None or url not in self._open:
                continue
            digest, memo, waiting, clean = self._open[url]
            waiting.discard(remote_id)
            self._open[url] = (digest, memo, waiting, clean and status in CLEAN)
            if not waiting:
                self._close(url)

    def _close(self, url: str) -> None:
        digest, memo, _waiting, clean = self._open.pop(url)
        key = _key(url)
        row = self.session.scalars(select(HarvestPage).where(HarvestPage.source_id == self.source_id,
                                                             HarvestPage.url_key == key)).first()
        if not clean:
            if row is not None:
                self.session.execute(delete(HarvestPage).where(HarvestPage.id == row.id))
            return
        if row is None:
            self.session.add(HarvestPage(source_id=self.source_id, url_key=key, url=url[:2000], digest=digest,
                                         memo=memo, updated_at=utcnow()))
        elif row.digest != digest or row.memo != memo:
            row.digest, row.memo, row.updated_at = digest, memo, utcnow()

    def forget_open(self) -> None:
        """Drop the pages not fully processed (the run stopped early): they are not stored."""
        self._open.clear()
        self._page_of.clear()
