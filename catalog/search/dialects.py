"""The two full-text engines of the embedded backend: SQLite FTS5 and PostgreSQL tsvector, behind one interface.

Both receive the same tokens (``catalog.search.text``) and the same boolean query shape, so they
match the same documents; only ranking formulas differ (bm25 with column weights, ``ts_rank_cd``
with weights A–D). User text never reaches either syntax: queries are rendered from tokens, each
quoted, which hold only letters and digits.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, literal_column, text
from sqlalchemy.engine import Connection

from catalog.search.documents import FIELD_WEIGHTS, SEARCH_FIELDS, SearchDocument
from catalog.search.text import Alternative

FTS_TABLE = "search_index_fts"
Clause = Sequence[Sequence[Alternative]]  # AND of groups; a group is an OR of alternatives; an alternative ANDs tokens


@dataclass(frozen=True)
class TextQuery:
    """A full-text query as data: its clause, optionally limited to some search fields."""

    clause: tuple[tuple[Alternative, ...], ...]
    columns: tuple[str, ...] = ()

    @classmethod
    def of(cls, clause: Clause, columns: Sequence[str] = ()) -> TextQuery:
        return cls(tuple(tuple(tuple(alternative) for alternative in group) for group in clause), tuple(columns))

    def accepts(self, fields: Mapping[str, str]) -> bool:
        """Whether a document matches, as both engines decide it, given each field's tokens joined by spaces.

        Each token may match in any of the query's fields (FTS5 column filters and tsquery weights
        both restrict where a token is looked for, not that the tokens share a field). Tokens are
        looked up as `` token `` in the joined text: no splitting, no sets (a document's tokens are
        about 700 characters; splitting them costs more than the few lookups a query makes).
        """
        text = " " + " ".join(fields.get(column) or "" for column in (self.columns or SEARCH_FIELDS)) + " "
        return all(any(all(f" {t} " in text for t in alternative) for alternative in group) for group in self.clause)


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

    def render_query(self, query: TextQuery) -> str:
        """The engine's query string for a :class:`TextQuery`."""
        return self.render(query.clause, columns=query.columns)

    def match_among(self, connection: Connection, query: TextQuery, ids: Sequence[int],
                    memo: dict | None = None) -> list[int]:
        """Which of the resources ``ids`` match ``query`` (a few, after a write: see ``catalog.search.matches``).

        :param memo: a dict the engine may keep what it read about ``ids`` in, for further queries
            about the same resources (one search asks up to three).
        """
        raise NotImplementedError

    # Whether a document's score depends on the whole corpus (so any write changes every score).
    corpus_scores = True

    def ranked(self, query: str):
        """A subquery of ``(id, score)`` for the documents matching ``query`` (lower scores rank first)."""
        raise NotImplementedError

    def scores(self, connection: Connection, query: str, ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """``(id, score)`` of the documents matching ``query`` (lower ranks first), or of those among ``ids``."""
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

    def bulk_load(self, connection: Connection, table):
        """A context for writing every row of ``table`` and the full-text rows anew (a full rebuild).

        Engines may suspend costly indexes in it.
        """
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

    def match_among(self, connection: Connection, query: TextQuery, ids: Sequence[int],
                    memo: dict | None = None) -> list[int]:
        # Tested in Python on the stored tokens: FTS5 cannot test a row against a query without seeking
        # every token's posting list (50 resources against 统计数据 at 100,000 documents: 10–20 ms), while
        # reading 50 rows by rowid costs about 2 ms, shared by the search's further queries.
        memo = {} if memo is None else memo
        stored = memo.setdefault("fts5_fields", {})
        missing = [i for i in ids if i not in stored]
        sql = text(f"SELECT rowid, {', '.join(SEARCH_FIELDS)} FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
            bindparam("ids", expanding=True))
        for start in range(0, len(missing), 500):
            for rowid, *values in connection.execute(sql, {"ids": missing[start:start + 500]}):
                stored[rowid] = dict(zip(SEARCH_FIELDS, values, strict=True))
        return [i for i in ids if i in stored and query.accepts(stored[i])]

    def ranked(self, query: str):
        return (
            text(f"SELECT rowid AS id, {self._bm25} AS score FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_rank")
            .bindparams(fts_rank=query).columns(literal_column("id"), literal_column("score")).subquery("fts")
        )

    def scores(self, connection: Connection, query: str, ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        sql = f"SELECT rowid, {self._bm25} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
        if ids is None:
            return connection.exec_driver_sql(sql, (query,)).all()
        found: list[tuple[int, float]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            found += connection.exec_driver_sql(f"{sql} AND rowid IN ({', '.join('?' * len(chunk))})",
                                                (query, *chunk)).all()
        return found

    @property
    def _bm25(self) -> str:
        return f"bm25({FTS_TABLE}, {', '.join(str(FIELD_WEIGHTS[f]) for f in SEARCH_FIELDS)})"

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


@functools.cache
def _places(weight: str) -> tuple[str, ...]:
    """Every position's text with a weight (``17A``): built once rather than formatted per token."""
    return tuple(f"{i}{weight}" for i in range(_MAX_POSITION + 1))


def tsvector_literal(tokens: dict[str, list[str]]) -> str:
    """The ``tsvector`` input text of a document's field tokens: positions in order, weight by field.

    Written for speed (it runs for every indexed resource; rebuilds and harvests spend a quarter of
    their tokenising in it): positions' texts are precomputed and plain tokens are quoted without escaping.
    """
    positions: dict[str, list[str]] = {}
    get = positions.get
    position = 0
    for field_name in SEARCH_FIELDS:
        places = _places(_WEIGHT_LETTERS[field_name])
        for token in tokens[field_name]:
            if position < _MAX_POSITION:
                position += 1
            found = get(token)
            if found is None:
                positions[token] = [places[position]]
            elif len(found) < _MAX_POSITIONS_PER_LEXEME:
                found.append(places[position])
    return " ".join([(_lexeme(token) if "'" in token or "\\" in token else "'" + token + "'") + ":" + ",".join(found)
                     for token, found in positions.items()])


class PostgresTsvector(FullText):
    """PostgreSQL: a weighted ``tsvector`` per resource with a GIN index, ranked by ``ts_rank_cd``."""

    name = "postgresql"
    # {D, C, B, A}: items, abstract, keywords, title — relative to FIELD_WEIGHTS.
    RANK_WEIGHTS = "{" + ", ".join(str(round(FIELD_WEIGHTS[f] / FIELD_WEIGHTS["title"], 3))
                                   for f in reversed(SEARCH_FIELDS)) + "}"
    _SCORE = "-ts_rank_cd(CAST(:fts_weights AS real[]), tsv, CAST(:fts_rank AS tsquery))"
    # The listed resources by primary key, then their tsvectors tested: left to itself the planner scans the
    # GIN index and rechecks every match's tsvector (1,500 matches: 4 ms) to keep the few listed.
    _AMONG = (f"WITH listed AS MATERIALIZED (SELECT resource_id, tsv FROM {FTS_TABLE} "
              "WHERE resource_id = ANY(:ids))")

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

    def match_among(self, connection: Connection, query: TextQuery, ids: Sequence[int],
                    memo: dict | None = None) -> list[int]:
        sql = text(f"{self._AMONG} SELECT resource_id FROM listed WHERE tsv @@ CAST(:q AS tsquery)")
        return list(connection.execute(sql, {"ids": list(ids), "q": self.render_query(query)}).scalars())

    corpus_scores = False  # ts_rank_cd reads the document and the query, nothing else

    def ranked(self, query: str):
        return (
            text(f"SELECT resource_id AS id, {self._SCORE} AS score FROM {FTS_TABLE} "
                 "WHERE tsv @@ CAST(:fts_rank AS tsquery)")
            .bindparams(fts_rank=query, fts_weights=self.RANK_WEIGHTS)
            .columns(literal_column("id"), literal_column("score")).subquery("fts")
        )

    def scores(self, connection: Connection, query: str, ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        params = {"fts_rank": query, "fts_weights": self.RANK_WEIGHTS}
        if ids is None:
            sql = f"SELECT resource_id, {self._SCORE} FROM {FTS_TABLE} WHERE tsv @@ CAST(:fts_rank AS tsquery)"
        else:
            sql = f"{self._AMONG} SELECT resource_id, {self._SCORE} FROM listed WHERE tsv @@ CAST(:fts_rank AS tsquery)"
            params["ids"] = list(ids)
        return [tuple(row) for row in connection.execute(text(sql), params)]

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
    def bulk_load(self, connection: Connection, table):
        # Building an index once is several times faster than 100,000 inserts into it (GIN: 13 s built
        # against 30+ s maintained; the five B-trees of the index table: 1 s built, 5 s maintained). The
        # DROPs are transactional, so a failed rebuild leaves the old indexes; searches wait for the commit.
        connection.execute(text("DROP INDEX IF EXISTS ix_search_index_fts_tsv"))
        for index in table.indexes:
            index.drop(connection)
        yield
        connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for index in table.indexes:
            index.create(connection)
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
