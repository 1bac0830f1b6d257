"""The two full-text engines of the embedded backend: SQLite FTS5 and PostgreSQL tsvector, behind one interface.

Both receive the same tokens (``catalog.search.text``) and the same boolean query shape, so they
match the same documents; only ranking formulas differ (bm25 with column weights, ``ts_rank_cd``
with weights A–D). User text never reaches either syntax: queries are rendered from tokens, each
quoted, which hold only letters and digits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, bindparam, literal_column, text
from sqlalchemy.engine import Connection

from catalog.search.documents import FIELD_WEIGHTS, SEARCH_FIELDS, SearchDocument
from catalog.search.text import Alternative

FTS_TABLE = "search_index_fts"
Clause = Sequence[Sequence[Alternative]]  # AND of groups; a group is an OR of alternatives; an alternative ANDs tokens


class FullText:
    """What the embedded backend needs from a database's full-text engine."""

    name = "abstract"

    def render(self, clause: Clause, prefixes: Sequence[str] = (), columns: Sequence[str] = ()) -> str:
        """The engine's query string for ``clause``, optionally limited to columns.

        :param prefixes: alternatives for a word still being typed; one of them must start a token.
        """
        raise NotImplementedError

    def matches(self, id_column, query: str, name: str = "fts_match") -> ColumnElement[bool]:
        """A condition: the row ``id_column`` names is a document matching ``query``.

        :param name: the bind parameter's name, unique within a statement and the same from one search to
            the next (SQLAlchemy caches the compiled statement by it).
        """
        raise NotImplementedError

    def match_ids(self, query: str):
        """A statement selecting the ids of every document matching ``query`` (nothing else: no join, no score)."""
        raise NotImplementedError

    def match_among(self, connection: Connection, query: str, ids: Sequence[int]) -> list[int]:
        """Which of the resources ``ids`` match ``query`` (a few, after a write: see ``catalog.search.matches``)."""
        raise NotImplementedError

    def ranked(self, query: str, tiers: Sequence[str] = (), score: bool = True):
        """A subquery of ``(id, tier, score)`` for the documents matching ``query``.

        :param tiers: queries tried in order; ``tier`` is the 1-based index of the first one a document
            matches, or ``len(tiers) + 1``.
        :param score: compute the engine's relevance score (lower ranks first); ``NULL`` when false.
        """
        raise NotImplementedError

    def term_exists(self, connection: Connection, token: str) -> bool:
        """Whether any document has the token (decides whether a Latin word is read as pinyin)."""
        raise NotImplementedError

    def payload(self, document: SearchDocument) -> dict:
        """The parameters of a document's full-text row (pure Python: rebuilds compute it in worker processes)."""
        raise NotImplementedError

    def write_payloads(self, connection: Connection, payloads: Sequence[dict]) -> None:
        """Insert full-text rows made by :meth:`payload`."""
        raise NotImplementedError

    def write(self, connection: Connection, documents: Sequence[SearchDocument]) -> None:
        """Insert full-text rows for documents whose old rows are gone."""
        if documents:
            self.write_payloads(connection, [self.payload(d) for d in documents])

    def delete(self, connection: Connection, ids: Iterable[int] | None) -> None:
        """Delete the full-text rows of resources (every row when ``ids`` is ``None``)."""
        raise NotImplementedError

    def bulk_load(self, connection: Connection):
        """A context for writing every row anew (a full rebuild); engines may suspend costly indexes in it."""
        return contextlib.nullcontext()

    def insert_rows(self, connection: Connection, table, rows: Sequence[dict]) -> None:
        """Insert many rows of ``table`` in as few statements as the engine allows.

        One statement, not one per row: ``search_index``'s generation trigger fires per statement.
        """
        if rows:
            connection.execute(table.insert(), list(rows))


def _fts5_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


class Fts5(FullText):
    """SQLite FTS5: one column per search field, ``bm25`` with the field weights."""

    name = "sqlite"

    def render(self, clause: Clause, prefixes: Sequence[str] = (), columns: Sequence[str] = ()) -> str:
        parts = []
        for group in clause:
            options = ["(" + " AND ".join(_fts5_string(t) for t in alternative) + ")" for alternative in group]
            parts.append("(" + " OR ".join(options) + ")")
        if prefixes:
            parts.append("(" + " OR ".join(_fts5_string(p) + "*" for p in prefixes) + ")")
        expression = " AND ".join(parts)
        if columns and expression:
            return "{" + " ".join(columns) + "} : (" + expression + ")"
        return expression

    def matches(self, id_column, query: str, name: str = "fts_match") -> ColumnElement[bool]:
        sub = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{name}").bindparams(**{name: query})
        return id_column.in_(sub.columns(literal_column("rowid")))

    def match_ids(self, query: str):
        return text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_match").bindparams(fts_match=query)

    def match_among(self, connection: Connection, query: str, ids: Sequence[int]) -> list[int]:
        # A literal list: FTS5 then seeks each rowid in the doclists (48 ids: 3 ms where the whole match of
        # 信息 over 100,000 documents takes 35–100 ms); a subquery (json_each) would be scanned instead.
        sql = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q AND rowid IN :ids").bindparams(
            bindparam("ids", expanding=True))
        found: list[int] = []
        for start in range(0, len(ids), 500):
            found += connection.execute(sql, {"q": query, "ids": list(ids[start:start + 500])}).scalars()
        return found

    def ranked(self, query: str, tiers: Sequence[str] = (), score: bool = True):
        weights = ", ".join(str(FIELD_WEIGHTS[f]) for f in SEARCH_FIELDS)
        scoring = f"bm25({FTS_TABLE}, {weights})" if score else "NULL"
        # FTS5 cannot test one row against another query: each tier is the set of its matches.
        whens = " ".join(f"WHEN rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_tier{i}) "
                         f"THEN {i}" for i in range(1, len(tiers) + 1))
        tier = f"CASE {whens} ELSE {len(tiers) + 1} END" if tiers else "1"
        return (
            text(f"SELECT rowid AS id, {tier} AS tier, {scoring} AS score FROM {FTS_TABLE} "
                 f"WHERE {FTS_TABLE} MATCH :fts_rank")
            .bindparams(fts_rank=query, **{f"fts_tier{i}": q for i, q in enumerate(tiers, start=1)})
            .columns(literal_column("id"), literal_column("tier"), literal_column("score"))
            .subquery("fts")
        )

    def term_exists(self, connection: Connection, token: str) -> bool:
        sql = f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q LIMIT 1"
        return connection.execute(text(sql), {"q": _fts5_string(token)}).first() is not None

    def payload(self, document: SearchDocument) -> dict:
        tokens = document.field_tokens()
        return {"id": document.resource_id, **{f: " ".join(tokens[f]) for f in SEARCH_FIELDS}}

    def write_payloads(self, connection: Connection, payloads: Sequence[dict]) -> None:
        if not payloads:
            return
        columns = ", ".join(SEARCH_FIELDS)
        values = ", ".join(f":{f}" for f in SEARCH_FIELDS)
        connection.execute(text(f"INSERT INTO {FTS_TABLE} (rowid, {columns}) VALUES (:id, {values})"), list(payloads))

    def delete(self, connection: Connection, ids: Iterable[int] | None) -> None:
        if ids is None:
            connection.execute(text(f"DELETE FROM {FTS_TABLE}"))
            return
        ids = list(ids)
        for start in range(0, len(ids), 500):
            connection.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids")
                               .bindparams(bindparam("ids", expanding=True)), {"ids": ids[start:start + 500]})


_WEIGHT_LETTERS = dict(zip(SEARCH_FIELDS, "ABCD", strict=True))
_MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
_MAX_POSITIONS_PER_LEXEME = 256


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(tokens: dict[str, list[str]]) -> str:
    """The ``tsvector`` input text of a document's field tokens: positions in order, weight by field."""
    positions: dict[str, list[str]] = {}
    position = 0
    for field_name in SEARCH_FIELDS:
        weight = _WEIGHT_LETTERS[field_name]
        for token in tokens[field_name]:
            position = min(position + 1, _MAX_POSITION)
            found = positions.setdefault(token, [])
            if len(found) < _MAX_POSITIONS_PER_LEXEME:
                found.append(f"{position}{weight}")
    return " ".join(f"{_lexeme(token)}:{','.join(places)}" for token, places in positions.items())


class PostgresTsvector(FullText):
    """PostgreSQL: a weighted ``tsvector`` per resource with a GIN index, ranked by ``ts_rank_cd``."""

    name = "postgresql"
    # {D, C, B, A}: items, abstract, keywords, title — relative to FIELD_WEIGHTS.
    RANK_WEIGHTS = "{" + ", ".join(str(round(FIELD_WEIGHTS[f] / FIELD_WEIGHTS["title"], 3))
                                   for f in reversed(SEARCH_FIELDS)) + "}"

    def render(self, clause: Clause, prefixes: Sequence[str] = (), columns: Sequence[str] = ()) -> str:
        weights = "".join(_WEIGHT_LETTERS[c] for c in columns)
        suffix = f":{weights}" if weights else ""
        parts = []
        for group in clause:
            options = ["(" + " & ".join(_lexeme(t) + suffix for t in alternative) + ")" for alternative in group]
            parts.append("(" + " | ".join(options) + ")")
        if prefixes:
            parts.append("(" + " | ".join(_lexeme(p) + ":*" + weights for p in prefixes) + ")")
        return " & ".join(parts)

    def matches(self, id_column, query: str, name: str = "fts_match") -> ColumnElement[bool]:
        sub = text(f"SELECT resource_id FROM {FTS_TABLE} WHERE tsv @@ CAST(:{name} AS tsquery)").bindparams(
            **{name: query})
        return id_column.in_(sub.columns(literal_column("resource_id")))

    def match_ids(self, query: str):
        return text(f"SELECT resource_id FROM {FTS_TABLE} WHERE tsv @@ CAST(:fts_match AS tsquery)").bindparams(
            fts_match=query)

    def match_among(self, connection: Connection, query: str, ids: Sequence[int]) -> list[int]:
        sql = text(f"SELECT resource_id FROM {FTS_TABLE} WHERE resource_id = ANY(:ids) AND tsv @@ CAST(:q AS tsquery)")
        return list(connection.execute(sql, {"ids": list(ids), "q": query}).scalars())

    def ranked(self, query: str, tiers: Sequence[str] = (), score: bool = True):
        scoring = "-ts_rank_cd(CAST(:fts_weights AS real[]), tsv, CAST(:fts_rank AS tsquery))" if score else "NULL"
        # Each matching row is tested against the tier queries itself: no extra index scans.
        whens = " ".join(f"WHEN tsv @@ CAST(:fts_tier{i} AS tsquery) THEN {i}" for i in range(1, len(tiers) + 1))
        tier = f"CASE {whens} ELSE {len(tiers) + 1} END" if tiers else "1"
        params = {"fts_rank": query, **{f"fts_tier{i}": q for i, q in enumerate(tiers, start=1)}}
        if score:
            params["fts_weights"] = self.RANK_WEIGHTS
        return (
            text(f"SELECT resource_id AS id, {tier} AS tier, {scoring} AS score FROM {FTS_TABLE} "
                 "WHERE tsv @@ CAST(:fts_rank AS tsquery)")
            .bindparams(**params)
            .columns(literal_column("id"), literal_column("tier"), literal_column("score"))
            .subquery("fts")
        )

    def term_exists(self, connection: Connection, token: str) -> bool:
        sql = f"SELECT 1 FROM {FTS_TABLE} WHERE tsv @@ CAST(:q AS tsquery) LIMIT 1"
        return connection.execute(text(sql), {"q": _lexeme(token)}).first() is not None

    def payload(self, document: SearchDocument) -> dict:
        return {"id": document.resource_id, "tsv": tsvector_literal(document.field_tokens())}

    def write_payloads(self, connection: Connection, payloads: Sequence[dict]) -> None:
        if not payloads:
            return
        _copy(connection, FTS_TABLE, ("resource_id", "tsv"), ((p["id"], p["tsv"]) for p in payloads))

    def insert_rows(self, connection: Connection, table, rows: Sequence[dict]) -> None:
        # COPY: one statement per batch. An executemany runs the INSERT once per row, and then the statement
        # trigger on search_index rewrites search_state once per row: 100,000 versions of one row in one
        # transaction, each update walking the chain before it (a 100,000-resource rebuild took 129 s in it).
        if rows:
            names = [c.name for c in table.columns]
            _copy(connection, table.name, names, ([row[n] for n in names] for row in rows))

    def delete(self, connection: Connection, ids: Iterable[int] | None) -> None:
        if ids is None:
            connection.execute(text(f"DELETE FROM {FTS_TABLE}"))
            return
        connection.execute(text(f"DELETE FROM {FTS_TABLE} WHERE resource_id = ANY(:ids)"), {"ids": list(ids)})

    @contextlib.contextmanager
    def bulk_load(self, connection: Connection):
        # Building a GIN index once is several times faster than 100,000 inserts into it. The DROP is
        # transactional, so a failed rebuild leaves the old index; searches wait for the rebuild's commit.
        connection.execute(text("DROP INDEX IF EXISTS ix_search_index_fts_tsv"))
        yield
        connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        connection.execute(text(f"CREATE INDEX ix_search_index_fts_tsv ON {FTS_TABLE} USING gin (tsv) "
                                "WITH (fastupdate = off)"))


def _copy(connection: Connection, table: str, names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``COPY table (names) FROM STDIN`` on the connection's psycopg cursor, in its transaction."""
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def full_text_for(dialect_name: str) -> FullText:
    """The engine of a database dialect.

    :raises NotImplementedError: for databases other than SQLite and PostgreSQL.
    """
    if dialect_name == "sqlite":
        return Fts5()
    if dialect_name == "postgresql":
        return PostgresTsvector()
    raise NotImplementedError(f"the embedded search backend supports SQLite and PostgreSQL, not {dialect_name}")
