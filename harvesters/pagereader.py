"""Parsing DCAT pages in a worker process while the runner writes the previous page's records.

Parsing RDF with rdflib is pure Python and about as slow as writing the records it holds, so a
long listing uses a second core: as soon as page N is parsed, page N+1 is fetched (here, through
the harvest client, with every limit) and handed to one spawned worker process, which parses it
while the records of page N are being written. Short listings (the first ``IN_PROCESS_PAGES``
pages, or a machine with one core) are parsed in process: starting a worker costs about a second, so
it is started when the last of those pages is handed out, and is ready by the time the next one comes.
A worker that dies is replaced by parsing in process; a parse error is the same
:class:`~harvesters.base.HarvestError` either way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from harvesters.rdf import inline_json_ld, read_page

log = logging.getLogger(__name__)
IN_PROCESS_PAGES = 2


class PageReader:
    """Hands out parsed pages: ``submit`` now, ``result`` later."""

    def __init__(self, fetch_json: Callable[[str], Any], *, parallel: bool = True):
        self.fetch_json = fetch_json
        self.parallel = parallel and (os.cpu_count() or 1) >= 2
        self.submitted = 0
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, data: bytes, fmt: str, url: str) -> Future:
        """Start parsing a page; the returned future holds ``(payloads, next links)`` or the HarvestError."""
        self.submitted += 1
        if fmt == "json-ld":
            try:
                data = inline_json_ld(data, url, self.fetch_json)  # fetching contexts needs the harvest client: here
            except Exception as exc:  # the error belongs to the page: raised when its result is asked for
                return _failed(exc)
        if self.parallel and self.submitted > IN_PROCESS_PAGES:
            try:
                return _Retrying(self._worker().submit(read_page, data, fmt, url), data, fmt, url)
            except (BrokenProcessPool, RuntimeError, OSError):
                log.warning("cannot parse pages in a worker process; parsing in process", exc_info=True)
                self.parallel = False
        elif self.parallel and self.submitted == IN_PROCESS_PAGES and self._pool is None:
            # Start the worker now, so that it has imported rdflib by the time the next page is handed to it
            # (spawning and importing cost about a second, which the writer otherwise waited for).
            try:
                self._worker().submit(_ready)
            except (RuntimeError, OSError):
                log.warning("cannot start a worker process; pages will be parsed in process", exc_info=True)
                self.parallel = False
        done: Future = Future()
        try:
            done.set_result(read_page(data, fmt, url))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _ready() -> None:
    """Nothing: run in a new worker so that it starts (and imports this module, hence rdflib) ahead of need."""


def _failed(exc: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


class _Retrying:
    """A worker's future that parses in process if the worker died."""

    def __init__(self, future: Future, data: bytes, fmt: str, url: str):
        self.future, self.data, self.fmt, self.url = future, data, fmt, url

    def result(self):
        try:
            return self.future.result()
        except BrokenProcessPool:
            log.warning("the page parser process died; parsing %s in process", self.url)
            return read_page(self.data, self.fmt, self.url)
