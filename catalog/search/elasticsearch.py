"""The Elasticsearch search backend: a versioned index behind an alias, bulk indexing after commit, the same contract.

Install the extra ``mulu[elasticsearch]``; the client is imported only when the backend is built.
Request bodies come from :mod:`catalog.search.es_query`, the mapping and documents from
:mod:`catalog.search.es_mapping`; this module talks to the cluster and keeps the index in step:

* writes are collected per session on every flush and sent in one bulk request when the
  session's transaction ends (after commit: the committed state; after a rollback: the state
  the rollback restored), read from the database in a separate session on the same bind;
* a search or suggestion first sends the caller's own flushed, uncommitted changes (with an
  immediate refresh) so a session reads its own writes, as with the embedded backend;
* :meth:`ElasticsearchBackend.reindex` builds ``<alias>-v<N+1>``, swaps the alias atomically and
  deletes the old index (zero downtime), or with ``since`` repairs in place.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.models import Resource, ResourceItem
from catalog.search import es_mapping as esm
from catalog.search import es_query as esq
from catalog.search import text as tx
from catalog.search.base import SearchBackend, SearchQuery, SearchResult, Suggestion, check_names
from catalog.search.documents import FACETS, SORTS, document_for
from catalog.search.facets import FacetBuilder, load_departments
from catalog.search.indexing import load_rows

log = logging.getLogger(__name__)

DEFAULT_ALIAS = "mulu-resources"
BATCH = 500  # resources read and sent per bulk request
_STATE = "mulu.search.elasticsearch"  # key of the per-session pending ids in Session.info
_BACKENDS: weakref.WeakSet[ElasticsearchBackend] = weakref.WeakSet()
_HOOKS_LOCK = threading.Lock()
_hooked = False


class ElasticsearchBackend(SearchBackend):
    """Search on an Elasticsearch cluster (cjk analysis, optional IK and pinyin plugins)."""

    name = "elasticsearch"

    def __init__(self, client: Any, vocab: Callable[[], Any], *, engine: Any = None, alias: str = DEFAULT_ALIAS,
                 options: esm.IndexOptions | None = None):
        """:param client: an ``elasticsearch.Elasticsearch`` client.
        :param vocab: returns the vocabulary registry (labels, division tree).
        :param engine: the database engine whose sessions' writes are indexed after commit (none: only
            explicit :meth:`index` and :meth:`reindex` calls write).
        :param alias: the alias searched; indices are named ``<alias>-v<N>``.
        """
        self.client = client
        self._vocab = vocab
        self.engine = engine
        self.alias = alias
        self.options = options or esm.IndexOptions()
        self._ready = False
        if engine is not None:
            _install_hooks()
            _BACKENDS.add(self)

    @classmethod
    def from_settings(cls, container) -> ElasticsearchBackend:
        """Build from ``elasticsearch_url``, ``elasticsearch_index``, ``elasticsearch_analyzer`` (``cjk``/``ik``)
        and ``elasticsearch_pinyin`` settings (read with defaults until every one is declared in ``catalog.config``).

        :raises ImportError: when the ``elasticsearch`` client (extra ``mulu[elasticsearch]``) is missing.
        :raises ValueError: without a URL, or with an unknown analyzer.
        """
        from elasticsearch import Elasticsearch

        settings = container.settings
        url = settings.elasticsearch_url
        if not url:
            raise ValueError("the elasticsearch search backend needs MULU_ELASTICSEARCH_URL")
        options = esm.IndexOptions(settings.elasticsearch_analyzer,
                                   settings.elasticsearch_pinyin)
        client = Elasticsearch(url, request_timeout=30)
        alias = settings.elasticsearch_index or DEFAULT_ALIAS
        return cls(client, lambda: container.vocab, engine=container.engine, alias=alias, options=options)

    def close(self) -> None:
        """Stop indexing this engine's writes (the client stays usable)."""
        _BACKENDS.discard(self)

    # -- search --------------------------------------------------------------------------------------

    def search(self, session: Session, query: SearchQuery, actor: Actor) -> SearchResult:
        """Find resources the actor may read (see :class:`SearchQuery`).

        :raises SearchError: for an unknown facet, filter field or sort.
        """
        check_names(query, FACETS, SORTS)
        facets = [f for f in query.facets if not (FACETS[f].signed_in_only and actor.is_anonymous)]
        self._read_own_writes(session)
        parsed = tx.parse_query(query.text)
        trees = {"department", "division"} & set(facets)
        builder = FacetBuilder(self._vocab(), load_departments(session) if trees else {})
        page = esq.Page(0)
        if not (parsed.empty and query.text.strip()):  # only symbols or emoji: nothing can match
            body = esq.search_body(query, parsed, facets, esm.actor_tokens(actor), self.options)
            response = self.client.search(index=self.alias, body=body)
            page = esq.parse_search(_body(response), parsed, facets, query.highlight)
        values = {f: builder.build(f, page.counts.get(f, {}), query.filters.get(f, ())) for f in facets}
        return SearchResult(hits=page.hits, total=page.total, page=query.page, size=query.size, facets=values)

    def suggest(self, session: Session, prefix: str, actor: Actor, limit: int = 10) -> list[Suggestion]:
        """Titles and keywords starting with what the user is typing, in Chinese or pinyin (``renk``, ``rk``).

        The completion suggester completes from the start of a title or keyword; unlike the embedded
        backend it does not suggest titles that merely contain the text.
        """
        limit = min(max(int(limit or 0), 0), 50)
        body = esq.suggest_body(prefix if isinstance(prefix, str) else "", esm.actor_tokens(actor))
        if not limit or body is None:
            return []
        self._read_own_writes(session)
        response = self.client.search(index=self.alias, body=body)
        return esq.parse_suggest(_body(response), prefix, limit)

    # -- indexing ------------------------------------------------------------------------------------

    def index(self, session: Session, resource_ids: Iterable[int]) -> None:
        """Send these resources as the session sees them now, and refresh (deleted ones are removed).

        They are sent again from the committed state when the session's transaction ends.
        """
        ids = set(resource_ids)
        session.flush()
        self._push(session, ids, refresh=True)
        _pending(session).pushed.update(ids)

    def reindex(self, session: Session, since: datetime | None = None) -> int:
        """Rebuild the index from the session's view of the database; idempotent.

        Without ``since``: a new index ``<alias>-v<N+1>`` is filled, the alias moves to it in one atomic
        step and the old index is deleted, so searches never see a partial index; resources written
        meanwhile are sent again after the swap. With ``since``: the resources updated at or after
        that time are sent to the current index (the repair path of writes made behind the ORM).

        :returns: the number of resources indexed.
        """
        session.flush()
        if since is not None:
            self.ensure_index()
            return self._push(session, self._ids(session, since), refresh=True)
        started = session.scalar(select(func.max(Resource.updated_at)))
        indices = self._versions()
        new = f"{self.alias}-v{max(indices.values(), default=0) + 1}"
        self.client.indices.create(index=new, body=esm.index_body(self.options, building=True))
        try:
            count = self._push(session, self._ids(session, None), index=new)
            self.client.indices.put_settings(index=new, body={"index": {"refresh_interval": None}})
            self.client.indices.refresh(index=new)
        except Exception:
            self.client.indices.delete(index=new)  # the old index keeps serving
            raise
        holders = self._alias_holders()
        actions = [{"remove": {"index": old, "alias": self.alias}} for old in sorted(holders)]
        self.client.indices.update_aliases(body={"actions": [*actions, {"add": {"index": new, "alias": self.alias}}]})
        self._ready = True
        stale = sorted(set(indices) - {new})
        if stale:
            self.client.indices.delete(index=",".join(stale))
        if started is not None:  # written while the new index was filled (it went to the old one)
            self._push(session, self._ids(session, started), refresh=True)
        return count

    def ensure_index(self) -> None:
        """Create ``<alias>-v1`` with the alias when the alias does not exist yet (once per backend)."""
        if self._ready:
            return
        if not self._alias_holders():
            name = f"{self.alias}-v{max(self._versions().values(), default=0) + 1}"
            body = {**esm.index_body(self.options), "aliases": {self.alias: {}}}
            try:
                self.client.indices.create(index=name, body=body)
            except Exception as error:  # another process created it first
                if "resource_already_exists" not in str(error):
                    raise
        self._ready = True

    def drop(self) -> None:
        """Delete every version of the index and the alias (tests, or leaving Elasticsearch)."""
        names = sorted(self._versions())
        if names:
            self.client.indices.delete(index=",".join(names))
        self._ready = False

    # -- internals -----------------------------------------------------------------------------------

    def _listing(self) -> dict[str, Any]:
        """Indices named ``<alias>-v*`` with their aliases (``GET /<alias>-v*/_alias``)."""
        try:
            return dict(_body(self.client.indices.get_alias(index=f"{self.alias}-v*", allow_no_indices=True)))
        except Exception as error:  # some versions answer 404 when nothing matches
            if getattr(error, "status_code", getattr(getattr(error, "meta", None), "status", None)) == 404:
                return {}
            raise

    def _versions(self) -> dict[str, int]:
        """Existing ``<alias>-v<N>`` indices by name → N."""
        pattern = re.compile(rf"{re.escape(self.alias)}-v(\d+)")
        return {name: int(m.group(1)) for name in self._listing() if (m := pattern.fullmatch(name))}

    def _alias_holders(self) -> set[str]:
        """The indices the alias points to (one, except in the moment of a failed swap)."""
        return {name for name, entry in self._listing().items() if self.alias in (entry.get("aliases") or {})}

    @staticmethod
    def _ids(session: Session, since: datetime | None) -> list[int]:
        query = select(Resource.id).order_by(Resource.id)
        if since is not None:
            query = query.where(Resource.updated_at >= since)
        return list(session.scalars(query))

    def _read_own_writes(self, session: Session) -> None:
        session.flush()
        state = session.info.get(_STATE)
        if state is not None and state.pending and self.engine is not None:
            ids = set(state.pending)
            self._push(session, ids, refresh=True)
            state.pending.clear()
            state.pushed.update(ids)

    def _push(self, session: Session, ids: Iterable[int], *, index: str | None = None, refresh: bool = False) -> int:
        """Bulk-send the documents of ``ids`` as ``session`` reads them; ids it cannot find are deleted.

        :returns: the number of documents indexed.
        """
        from elasticsearch import helpers

        ids = sorted(set(ids))
        if not ids:
            return 0
        if index is None:
            self.ensure_index()
        target = index or self.alias
        departments = load_departments(session)
        scheme = _division_scheme(self._vocab())

        def ancestors(code: str) -> list[str]:
            return [c.code for c in scheme.ancestors(code)] if scheme is not None and code in scheme else []

        counted = [0]

        def actions() -> Iterator[dict[str, Any]]:
            for chunk in _chunks(ids, BATCH):
                found = {row.id: row for row in load_rows(session, chunk)}
                for resource_id in chunk:
                    row = found.get(resource_id)
                    if row is None:
                        yield {"_op_type": "delete", "_index": target, "_id": str(resource_id)}
                    else:
                        counted[0] += 1
                        source = esm.document(document_for(row), departments, ancestors)  # type: ignore[arg-type]
                        yield {"_op_type": "index", "_index": target, "_id": str(resource_id), "_source": source}

        helpers.bulk(self.client, actions(), chunk_size=BATCH, refresh=refresh, ignore_status=(404,))
        return counted[0]

    def _sync(self, bind: Any, ids: set[int]) -> None:
        """Send ``ids`` as committed (or as a rollback left them), read in a separate session on ``bind``."""
        try:
            with Session(bind=bind) as fresh:
                self._push(fresh, ids)
        except Exception:  # the data is committed; the index is repaired by `mulu search reindex --since`
            log.exception("Elasticsearch indexing of %d resources failed; run a reindex with --since", len(ids))


def _body(response: Any) -> Any:
    return getattr(response, "body", response)


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _division_scheme(vocab: Any):
    return vocab.get("division") if vocab is not None and "division" in vocab else None


# -- keeping the index in step with the data ----------------------------------------------------------------


@dataclass
class _Pending:
    pending: set[int] = field(default_factory=set)  # flushed, not sent yet
    pushed: set[int] = field(default_factory=set)  # sent as the session saw them before commit


def _pending(session: Session) -> _Pending:
    return session.info.setdefault(_STATE, _Pending())


def _backends_for(session: Session) -> list[ElasticsearchBackend]:
    if not _BACKENDS:
        return []
    try:
        engine = session.get_bind().engine
    except Exception:  # an unbound session writes nothing we index
        return []
    return [b for b in list(_BACKENDS) if b.engine is engine]


def _after_flush(session: Session, _context) -> None:
    if not _backends_for(session):
        return
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Resource) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, ResourceItem) and obj.resource_id is not None:
            ids.add(obj.resource_id)
    if ids:
        _pending(session).pending.update(ids)


def _after_soft_rollback(session: Session, _previous) -> None:
    # What was sent before the rollback may be undone: send it again as the session now sees it.
    state = session.info.get(_STATE)
    if state is not None:
        state.pending |= state.pushed
        state.pushed.clear()


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    state = session.info.pop(_STATE, None)
    if state is None or not (state.pending or state.pushed):
        return
    backends = _backends_for(session)
    if backends:
        bind = session.get_bind()
        for backend in backends:
            backend._sync(bind, state.pending | state.pushed)


def _install_hooks() -> None:
    """Register the session hooks once (only when an Elasticsearch backend exists: embedded-only pays nothing)."""
    global _hooked
    with _HOOKS_LOCK:
        if not _hooked:
            event.listen(Session, "after_flush", _after_flush)
            event.listen(Session, "after_soft_rollback", _after_soft_rollback)
            event.listen(Session, "after_transaction_end", _after_transaction_end)
            _hooked = True
