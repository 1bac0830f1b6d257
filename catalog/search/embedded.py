"""The embedded search backend (the default): the database's own full-text engine, facets by SQL aggregation.

Reads happen in the caller's session, so a search sees the caller's own uncommitted writes (they
are flushed, and the flush hook indexes them, before the query runs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import String, and_, cast, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.models import Department, Resource
from catalog.models.search import SearchIndexEntry
from catalog.search import changes, columns, indexing
from catalog.search import highlight as hl
from catalog.search import text as tx
from catalog.search.base import (
    Hit,
    SearchBackend,
    SearchQuery,
    SearchResult,
    Suggestion,
    check_names,
    rank_suggestions,
)
from catalog.search.dialects import Clause, FullText, TextQuery, full_text_for
from catalog.search.documents import FACETS, SORTS
from catalog.search.facets import FacetBuilder, load_departments
from catalog.search.matches import MATCHES
from catalog.search.scores import SCORES

T = SearchIndexEntry.__table__
_COLUMN = {"theme": "theme", "format_class": "format_class", "share_type": "share_type", "open_type": "open_type",
           "update_cycle": "update_cycle", "status": "status", "classification": "item_code",
           "department": "department_id", "division": "department_id"}
SUGGEST_POOL = 100  # best-matching resources whose titles and keywords are considered per suggestion request
# Above this many matches in the catalog bm25 is skipped: scoring every match costs ~1.5 µs each on SQLite (100 ms for a
# word in 70,000 documents), while the tiers (exact title, title) still put the best first; within a
# tier such broad results are listed newest first.
SCORED_MATCHES = 2000


def visibility(actor: Actor):
    """The index rows ``actor`` may read: ``catalog.permissions.can_view_resource`` as SQL."""
    if actor.role in perm.STAFF_READERS:
        return true()
    published = T.c.status == perm.PUBLISHED
    if actor.is_anonymous:
        return and_(published, T.c.is_open.is_(True))
    own = T.c.department_id.in_(sorted(actor.department_ids)) if actor.department_ids else false()
    shared = and_(published, or_(T.c.share_type.is_(None), T.c.share_type != "not_shared", T.c.is_open.is_(True)))
    return or_(own, shared)


class EmbeddedBackend(SearchBackend):
    """Search on SQLite FTS5 or PostgreSQL full text, with the index kept in the data's own transaction."""

    name = "embedded"

    def __init__(self, vocab: Callable[[], object]):
        self._vocab = vocab

    @classmethod
    def from_settings(cls, container) -> EmbeddedBackend:
        return cls(lambda: container.vocab)

    # -- search ------------------------------------------------------------------------------------

    def search(self, session: Session, query: SearchQuery, actor: Actor) -> SearchResult:
        """Find resources the actor may read (see :class:`SearchQuery`).

        Counts come from the in-memory column store of the index's current generation, and answers
        (counts, the page's ids) are cached under that generation: exact after every committed write,
        in every process (see :mod:`catalog.search.columns`).

        :raises SearchError: for an unknown facet, filter field or sort.
        """
        check_names(query, FACETS, SORTS)
        facets = [f for f in query.facets if not (FACETS[f].signed_in_only and actor.is_anonymous)]
        session.flush()
        connection = session.connection()
        state = changes.IndexState.read(connection)
        log = changes.ChangeLog(connection, state)
        # The database's URL with the token: a process may search several databases (tests, tools).
        token = (connection.engine.url.render_as_string(), state.generation)
        full_text = full_text_for(connection.dialect.name)
        parsed = tx.parse_query(query.text)
        needs_tree = {"department", "division"} & (set(facets) | set(query.filters))
        builder = FacetBuilder(self._vocab(), load_departments(session) if needs_tree else {})
        if parsed.empty and query.text.strip():
            # Only punctuation, emoji or symbols: nothing can match (rather than everything).
            return self._result(query, [], 0, {f: builder.build(f, {}, query.filters.get(f, ())) for f in facets})
        resolved = columns.ANSWERS.get((token, "resolve", query.text))
        if resolved is None:
            resolved = self._resolve(session, full_text, parsed)
            columns.ANSWERS.put((token, "resolve", query.text), resolved)
        clause, tokens = resolved
        match = full_text.render(clause) if clause else None
        text_query = TextQuery.of(clause) if clause else None
        # Filters resolved to stored values (the department tree is read per search, so moving a
        # department needs no reindex and cannot leave a stale answer behind).
        stored = self._stored_filters(query, builder)
        key = (token, columns.visibility_key(actor), match, tuple(sorted(stored.items())))
        answer = columns.ANSWERS.get(("counts", *key))
        found = None
        if answer is None:
            found = self._matching(connection, log, full_text, text_query, stored, actor)
            store, rows = found
            answer = rows.bit_count(), store.counts(rows)
            columns.ANSWERS.put(("counts", *key), answer)
        total, by_column = answer
        hits: list[Hit] = []
        if query.size and not query.past_the_end and query.offset < total:
            page_key = ("page", *key, query.sort, query.page, query.size, parsed.key)
            page = columns.ANSWERS.get(page_key)
            if page is None:
                if query.sort == "title":
                    conditions = [visibility(actor), *self._filters(query, builder)]
                    conditions += [full_text.matches(T.c.resource_id, match)] if match else []
                    page = self._title_page(session, query, conditions)
                else:
                    store, rows = found or self._matching(connection, log, full_text, text_query, stored, actor)
                    if self._pages_from_bits(query, connection, log, full_text, text_query):
                        page = self._bits_page(connection, log, store, rows, full_text, query, parsed, clause)
                    else:
                        page = self._ranked_page(connection, log, rows, full_text, query, parsed, clause)
                columns.ANSWERS.put(page_key, page)
            hits = self._load_hits(session, page, tokens if query.highlight else set(), query.highlight)
        values = {f: builder.build(f, by_column.get(_COLUMN[f], {}), query.filters.get(f, ())) for f in facets}
        return self._result(query, hits, total, values)

    @staticmethod
    def _stored_filters(query: SearchQuery, builder: FacetBuilder) -> dict[str, tuple]:
        """Filters as stored column → accepted stored values (tree values resolved to what lies below them)."""
        stored: dict[str, set] = {}
        for name, values in query.filters.items():
            if not values:
                continue
            if name == "department":
                wanted = {"department_id": builder.department_ids(values)}
            elif name == "division":
                wanted = {"department_id": builder.division_department_ids(values)}
            elif name == "classification":
                # 类 and 项 values of one filter are alternatives: kept together under one key.
                wanted = {"classification": {("class_code", v) if len(v) == 1 else ("item_code", v) for v in values}}
            else:
                wanted = {_COLUMN[name]: set(values)}
            for column, accepted in wanted.items():
                # Two filters on one column (department and division) must both hold: keep them apart.
                slot = column
                while slot in stored:
                    slot = slot + "+"
                stored[slot] = accepted
        return {slot: tuple(sorted(accepted, key=repr)) for slot, accepted in stored.items()}

    @staticmethod
    def _matching(connection, log: changes.ChangeLog, full_text: FullText, text_query: TextQuery | None,
                  stored: dict[str, tuple], actor: Actor) -> tuple[columns.ColumnStore, int]:
        """The column store and the bitset of rows the actor may read that pass the filters and match the text."""
        store = columns.store_for(connection, log.now, log)
        rows = store.visible(actor)
        for slot, accepted in stored.items():
            column = slot.rstrip("+")
            if column == "classification":
                bits = 0
                for stored_column, value in accepted:
                    bits |= store.any_of(stored_column, (value,))
                rows &= bits
            else:
                rows &= store.any_of(column, accepted)
        if text_query is not None and rows:
            rows &= MATCHES.bits(connection, full_text, text_query, log)
        return store, rows

    @staticmethod
    def _pages_from_bits(query: SearchQuery, connection, log: changes.ChangeLog, full_text: FullText,
                         text_query: TextQuery | None) -> bool:
        """Whether the page is picked in the store's newest-first order (by tiers) rather than by score.

        Relevance for text found in few documents is ranked by the engine's score (:meth:`_ranked_page`);
        everything else but the title sort (newest first, browsing, text found in more than
        :data:`SCORED_MATCHES` documents of the whole catalog, filtered or not) is a walk of the store's
        order. Broadness is the text's, not the filtered result's: scoring reads every matching document
        (信息 with one theme selected still scored its 68,000 matches: 100 ms), and such a word's score
        carries no information (its idf is near zero).
        """
        if query.sort == "updated" or text_query is None:
            return True
        return MATCHES.bits(connection, full_text, text_query, log).bit_count() > SCORED_MATCHES

    @staticmethod
    def _bits_page(connection, log: changes.ChangeLog, store: columns.ColumnStore, rows: int, full_text: FullText,
                   query: SearchQuery, parsed: tx.ParsedQuery, clause: Clause) -> list[tuple[int, None]]:
        """One page from the bitsets: newest first, or for relevance the exact title, then title matches, then the rest."""
        tiers = [rows]
        if clause and query.sort == "relevance":
            exact_ids = connection.execute(select(T.c.resource_id).where(T.c.title_key == parsed.key)).scalars()
            exact = columns.bitset(list(exact_ids), store.size) & rows
            title = MATCHES.bits(connection, full_text, TextQuery.of(clause, ["title"]), log) & rows
            tiers = [exact, title & ~exact, rows & ~title & ~exact]
        picked: list[int] = []
        skip = query.offset
        for tier in tiers:
            count = tier.bit_count()
            if skip >= count:
                skip -= count
                continue
            picked += store.newest_first(tier, skip, query.size - len(picked))
            skip = 0
            if len(picked) >= query.size:
                break
        return [(resource_id, None) for resource_id in picked]

    @staticmethod
    def _result(query: SearchQuery, hits, total, facets) -> SearchResult:
        return SearchResult(hits=hits, total=total, page=query.page, size=query.size, facets=facets)

    @staticmethod
    def _resolve(session: Session, full_text: FullText, parsed: tx.ParsedQuery) -> tuple[Clause, set[str]]:
        """The query's groups, with pinyin readings added for Latin words the index does not have."""
        clause, tokens = [], set()
        for group in parsed.groups:
            alternatives = list(group.alternatives)
            if group.pinyin and not full_text.term_exists(session.connection(), group.source):
                alternatives += group.pinyin
            clause.append(alternatives)
            tokens.update(t for alternative in alternatives for t in alternative)
        return clause, tokens

    @staticmethod
    def _filters(query: SearchQuery, builder: FacetBuilder) -> list:
        conditions = []
        for name, values in query.filters.items():
            if not values:
                continue
            if name == "department":
                conditions.append(T.c.department_id.in_(sorted(builder.department_ids(values))))
            elif name == "division":
                conditions.append(T.c.department_id.in_(sorted(builder.division_department_ids(values))))
            elif name == "classification":
                conditions.append(or_(T.c.class_code.in_([v for v in values if len(v) == 1]),
                                      T.c.item_code.in_([v for v in values if len(v) > 1])))
            else:
                conditions.append(T.c[_COLUMN[name]].in_(values))
        return conditions

    @staticmethod
    def _count(session: Session, conditions: list, facets: Sequence[str]) -> tuple[int, dict[str, dict]]:
        """The total and every facet's counts of stored values, in one SQL statement over the filtered set.

        Searches count with :meth:`_count_columns`; this is the reference the column store is tested against.
        """
        columns = sorted({_COLUMN[f] for f in facets})
        if not columns:
            return session.scalar(select(func.count()).select_from(T).where(*conditions)) or 0, {}
        matched = select(*(T.c[c] for c in columns)).where(*conditions).cte("matched").prefix_with("MATERIALIZED")
        parts = [select(literal("").label("facet"), literal(None, String).label("value"), func.count().label("n"))
                 .select_from(matched)]
        for column in columns:
            parts.append(select(literal(column), cast(matched.c[column], String), func.count())
                         .group_by(matched.c[column]))
        by_column: dict[str, dict] = {}
        total = 0
        for facet, value, n in session.execute(union_all(*parts)):
            if facet == "":
                total = n
            elif value is not None:
                by_column.setdefault(facet, {})[int(value) if facet == "department_id" else value] = n
        return total, {f: by_column.get(_COLUMN[f], {}) for f in facets}

    @staticmethod
    def _ranked_page(connection, log: changes.ChangeLog, rows: int, full_text: FullText, query: SearchQuery,
                     parsed: tx.ParsedQuery, clause: Clause) -> list[tuple[int, float | None]]:
        """The ids and engine scores of one page of a narrow relevance search.

        Relevance is tiered: an exact title match first, then the whole query in the title, in the
        keywords, in the abstract, then the rest (items, or words spread over fields); within a tier the
        engine's score. Explicit tiers rather than weights alone: bm25's idf all but vanishes for a word
        in most documents (信息, 数据), and then only the tiers keep the promised order. The tiers are
        match bitsets and the scores come from :data:`SCORES`, both kept across writes, so a page costs a
        sort of at most :data:`SCORED_MATCHES` ids.
        """
        whole = TextQuery.of(clause)
        scores = SCORES.scores(connection, full_text, whole, log, MATCHES.bits(connection, full_text, whole, log))
        exact = connection.execute(select(T.c.resource_id).where(T.c.title_key == parsed.key)).scalars()
        tiers = [columns.bitset(list(exact), max(scores, default=0) + 1)]
        tiers += [MATCHES.bits(connection, full_text, TextQuery.of(clause, [f]), log)
                  for f in ("title", "keywords", "abstract")]
        picked: list[int] = []
        skip, take = query.offset, query.size
        remaining = rows
        for tier in [*tiers, rows]:
            members = remaining & tier
            remaining &= ~tier
            count = members.bit_count()
            if skip >= count:
                skip -= count
                continue
            ordered = sorted(columns.ids_of(members), key=lambda i: (scores.get(i, 0.0), i))
            picked += ordered[skip:skip + take - len(picked)]
            skip = 0
            if len(picked) >= take:
                break
        return [(resource_id, scores.get(resource_id)) for resource_id in picked]

    @staticmethod
    def _title_page(session: Session, query: SearchQuery, conditions: list) -> list[tuple[int, None]]:
        """One page in title order (pinyin order for Chinese titles) of the rows passing ``conditions``."""
        title = T.c.title_sort.collate("C") if session.get_bind().dialect.name == "postgresql" else T.c.title_sort
        statement = (select(T.c.resource_id, literal(None).label("score")).where(*conditions)
                     .order_by(title, T.c.resource_id).limit(query.size).offset(query.offset))
        return [tuple(row) for row in session.execute(statement)]

    @staticmethod
    def _load_hits(session: Session, page, tokens: set[str], highlight: bool) -> list[Hit]:
        ids = [row[0] for row in page]
        rows = session.execute(
            select(Resource.id, Resource.title, Resource.abstract, Resource.code, Resource.status, Resource.updated_at,
                   Department.name).join(Department, Department.id == Resource.department_id).where(Resource.id.in_(ids))
        )
        by_id = {row.id: row for row in rows}
        hits = []
        for resource_id, score in page:
            row = by_id.get(resource_id)
            if row is None:
                continue
            marks = {"title": hl.highlight(row.title, tokens), "abstract": hl.snippet(row.abstract, tokens)} \
                if highlight else {}
            hits.append(Hit(id=row.id, title=row.title, code=row.code, status=row.status, department=row.name,
                            updated_at=row.updated_at, score=None if score is None else -float(score),
                            highlights=marks))
        return hits

    # -- suggestions ---------------------------------------------------------------------------------

    def suggest(self, session: Session, prefix: str, actor: Actor, limit: int = 10) -> list[Suggestion]:
        """Titles and keywords completing what the user is typing (Chinese, Latin or pinyin).

        ``人口`` suggests titles and keywords containing 人口; ``renk`` and ``rk`` suggest those spelled
        so in pinyin. Titles starting with the text come first, then keywords shared by many resources.
        """
        limit = min(max(int(limit or 0), 0), 50)
        session.flush()
        full_text = full_text_for(session.get_bind().dialect.name)
        parsed, last = tx.prefix_query(prefix)
        if not limit or (parsed.empty and not last):
            return []
        clause, _tokens = self._resolve(session, full_text, parsed)
        prefixes = [last, *(ns + last for ns in (tx.SYLLABLE_BIGRAM, tx.INITIAL_BIGRAM, tx.WHOLE_PINYIN,
                                                 tx.WHOLE_INITIALS))] if last else []
        ranked = full_text.ranked(full_text.render(clause, prefixes, columns=["title", "keywords"]))
        ids = session.scalars(
            select(T.c.resource_id).join(ranked, ranked.c.id == T.c.resource_id).where(visibility(actor))
            .order_by(ranked.c.score, T.c.resource_id).limit(SUGGEST_POOL)
        ).all()
        rows = session.execute(select(Resource.title, Resource.keywords).where(Resource.id.in_(ids))).all()
        wanted = tx.normalise(parsed.text)
        candidates: dict[tuple[str, str], int] = Counter()
        for title, keywords in rows:
            if _satisfies(title, clause, prefixes):
                candidates[(title, "title")] += 1
            for keyword in keywords or ():
                if isinstance(keyword, str) and _satisfies(keyword, clause, prefixes):
                    candidates[(keyword, "keyword")] += 1
        return rank_suggestions(candidates, lambda text: tx.normalise(text).startswith(wanted), limit)

    # -- indexing ------------------------------------------------------------------------------------

    def reindex(self, session: Session, since: datetime | None = None,
                progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the index in the session's transaction (the caller commits); idempotent.

        :param since: only resources updated at or after this time; everything when ``None``.
        :param progress: called with (resources done, resources to do) after each batch.
        :returns: the number of resources indexed.
        """
        return indexing.rebuild(session, since, progress)


def _satisfies(text: str, clause: Clause, prefixes: Sequence[str]) -> bool:
    """Whether a title or keyword alone matches the query (evaluated on its own tokens, as the index would)."""
    tokens = set(tx.tokens(text, unigrams=True)) | set(tx.pinyin_tokens(text))
    for group in clause:
        if not any(all(t in tokens for t in alternative) for alternative in group):
            return False
    return not prefixes or any(t.startswith(p) for t in tokens for p in prefixes)
