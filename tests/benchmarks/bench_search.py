"""Benchmark of the embedded search backend: index build time, query latency with facets, peak memory.

Not collected by pytest (``norecursedirs``); run it by hand, figures go to docs/performance.md::

    python tests/benchmarks/bench_search.py --sizes 10000 100000 \\
        --postgres postgresql://root@127.0.0.1:5432/test

Each (database, size) runs in a child process of its own, so its peak memory (``ru_maxrss``) is its
own. A catalog is bulk-inserted from ``catalog.demo.synthetic.generate_resources`` (realistic
Chinese titles, abstracts, keywords and items of the demo city's departments; statuses and dates
spread like a live catalog), then the index is built with ``reindex`` and 50 fixed queries — each
asking for every facet — are timed three ways: "first ask" (each query asked for the first time, right
after another session committed an edit of one resource), "after a write" (asked again, each right
after such an edit: no cached answer applies and the caches replay the change log), and, after one
untimed pass, ``--rounds`` times as repeated requests. ``--quality`` instead compares the bigram tokeniser with jieba
on the demo catalog (needs ``pip install jieba``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource as rlimit
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from catalog.actor import Actor  # noqa: E402
from catalog.db import make_engine, normalise_url  # noqa: E402
from catalog.demo.synthetic import flatten_departments, generate_resources, load_departments, load_resources  # noqa: E402
from catalog.models import Department, Resource, ResourceItem  # noqa: E402
from catalog.schema_setup import reset_database  # noqa: E402
from catalog.search import SearchQuery  # noqa: E402
from catalog.search.embedded import EmbeddedBackend  # noqa: E402
from vocab import default_registry  # noqa: E402

FACETS = ("department", "classification", "theme", "format_class", "share_type", "open_type", "update_cycle",
          "division", "status")
STATES = (("published", 0.74), ("draft", 0.07), ("pending_registration", 0.06), ("returned", 0.05),
          ("registered", 0.05), ("withdrawn", 0.03))
# 50 fixed queries: (text, filters, actor). Words from the demo vocabulary, pinyin, mixed, multi-word,
# filtered and browse-only (no text) — every one asks for all facets.
QUERIES: list[tuple[str, dict, str]] = [
    *((word, {}, "anonymous") for word in (
        "人口", "低保", "企业信用", "食品安全", "社会保险", "养老", "医疗保障", "公积金", "交通违法", "不动产",
        "税收", "学校", "环境监测", "道路", "户籍", "婚姻登记", "残疾人", "就业", "价格", "统计数据")),
    *((word, {}, "officer") for word in ("GDP统计", "低保 资金", "养老 机构", "特困供养人员", "机动车驾驶人",
                                         "2023年", "信用", "名录", "许可", "信息")),
    *((word, {}, "admin") for word in ("renkou", "dibao", "rk", "ylbx", "shehuijiuzhu")),
    ("低保", {"share_type": ["unconditional"]}, "anonymous"),
    ("企业", {"department": ["hn-scjgj"]}, "officer"),
    ("信息", {"theme": ["R"]}, "anonymous"),
    ("统计", {"update_cycle": ["4", "5"]}, "officer"),
    ("登记", {"division": ["340402"]}, "admin"),
    ("", {"theme": ["Q"]}, "anonymous"),
    ("", {"department": ["hn-gov"]}, "officer"),
    ("", {"classification": ["3"], "format_class": ["3"]}, "admin"),
    ("", {"share_type": ["not_shared"]}, "admin"),
    ("", {}, "anonymous"),
    ("", {"status": ["draft"]}, "admin"),
    ("", {"open_type": ["conditional"]}, "officer"),
    ("医保", {"share_type": ["conditional"], "theme": ["Q"]}, "officer"),
    ("台账", {}, "anonymous"),
    ("汇总表", {"division": ["340400"]}, "anonymous"),
]
assert len(QUERIES) == 50, len(QUERIES)


def _departments(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    for node in flatten_departments(load_departments()):
        fields = {k: node.get(k) for k in ("key", "name", "short_name", "uscc", "division", "catalog_segment", "kind",
                                           "in_scope")}
        department = Department(**fields, parent_id=ids.get(node.get("parent_key")))
        session.add(department)
        session.flush()
        ids[node["key"]] = department.id
    return ids


def populate(session: Session, count: int) -> None:
    """Bulk-insert ``count`` synthetic resources with their items (no services: speed over validation)."""
    departments = flatten_departments(load_departments())
    ids = _departments(session)
    segments = {d["key"]: d.get("catalog_segment") or "001" for d in departments}
    rng = random.Random(7)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    rows, items = [], []
    connection = session.connection()
    next_id = 1
    for entry in generate_resources(count, departments):
        state = rng.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
        fmt, share, opening = entry.get("format") or {}, entry.get("share") or {}, entry.get("open") or {}
        extras = {k: entry[k] for k in ("source_system", "data_scope") if k in entry}
        when = start + timedelta(minutes=rng.randrange(6 * 365 * 24 * 60))
        rows.append(dict(
            id=next_id, metadata_id=f"metadata_{next_id:08d}", status=state, title=entry["title"],
            abstract=entry.get("abstract") or "", department_id=ids[entry["department"]],
            classification_code=str(entry["item"]) + segments[entry["department"]], theme=entry.get("theme"),
            format_class=fmt.get("class"), share_type=share.get("type"), share_condition=share.get("condition"),
            open_is_open=bool(opening.get("is_open")),
            open_type=opening.get("type") if opening.get("is_open") else "not_open",
            update_cycle=entry.get("update_cycle"), keywords=entry.get("keywords") or [], related_codes=[],
            extras=extras, created_at=when, updated_at=when, provider_unit=entry.get("provider_unit")))
        for position, item in enumerate(entry.get("items") or ()):
            items.append(dict(resource_id=next_id, position=position, name=item["name"],
                              data_type=item["data_type"], length=item.get("length")))
        next_id += 1
        if len(rows) >= 5000:
            connection.execute(insert(Resource), rows)
            connection.execute(insert(ResourceItem), items)
            rows, items = [], []
    if rows:
        connection.execute(insert(Resource), rows)
    if items:
        connection.execute(insert(ResourceItem), items)


def _actors(session: Session) -> dict[str, Actor]:
    department = session.scalars(select(Department).where(Department.key == "hn-mzj")).one()
    return {"anonymous": Actor.anonymous("bench"), "admin": Actor.system("bench"),
            "officer": Actor(1, "officer", "officer", department.id, frozenset({department.id}), "bench")}


def run_one(url: str, size: int, rounds: int) -> dict:
    """Build one catalog and measure it; returns the figures as a dict."""
    engine = make_engine(url)
    reset_database(engine)
    backend = EmbeddedBackend(default_registry)
    began = time.perf_counter()
    with Session(engine) as session, session.begin():
        populate(session, size)
    inserted = time.perf_counter() - began
    began = time.perf_counter()
    with Session(engine) as session, session.begin():
        indexed = backend.reindex(session)
    build = time.perf_counter() - began
    with engine.connect() as connection:  # fresh statistics, as autovacuum / a nightly ANALYZE would leave them
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    samples: dict[int, list[float]] = {i: [] for i in range(len(QUERIES))}
    cold: list[float] = []
    after_write: list[float] = []
    totals: dict[int, int] = {}
    writes = random.Random(11)
    with Session(engine) as session:
        actors = _actors(session)
        # The first search after the rebuild reads the whole column store.
        began = time.perf_counter()
        backend.search(session, SearchQuery(facets=FACETS, size=20), actors["admin"])
        first = (time.perf_counter() - began) * 1000
        session.commit()
        # Round 0: each query asked for the first time, right after another user's committed write.
        # Round 1: asked again, each right after a write (the caches replay the change log).
        # Round 2, untimed: no more writes (after round 1 only the last answer is of the current state).
        # Rounds 3…: repeated requests.
        for round_ in range(rounds + 3):
            for i, (text, filters, who) in enumerate(QUERIES):
                query = SearchQuery(text=text, filters=filters, facets=FACETS, size=20)
                if round_ < 2:
                    _write_one(engine, writes, size)
                began = time.perf_counter()
                result = backend.search(session, query, actors[who])
                elapsed = (time.perf_counter() - began) * 1000
                session.commit()  # one transaction per request, as in the web app
                if round_ == 0:
                    cold.append(elapsed)
                elif round_ == 1:
                    after_write.append(elapsed)
                elif round_ > 2:
                    samples[i].append(elapsed)
                totals[i] = result.total
        suggest = []
        for typed in ("人口", "低", "renk", "rk", "shehui", "企业信"):
            began = time.perf_counter()
            backend.suggest(session, typed, actors["anonymous"])
            suggest.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    every = sorted(x for values in samples.values() for x in values)
    slowest = sorted(((statistics.median(v), QUERIES[i][0] or "(browse)", totals[i]) for i, v in samples.items()),
                     reverse=True)[:5]
    return {
        "database": engine.dialect.name, "size": size, "indexed": indexed, "insert_s": round(inserted, 1),
        "reindex_s": round(build, 1), "p50_ms": round(_percentile(every, 50), 1),
        "p95_ms": round(_percentile(every, 95), 1), "max_ms": round(every[-1], 1),
        "cold_p50_ms": round(_percentile(sorted(cold), 50), 1), "cold_p95_ms": round(_percentile(sorted(cold), 95), 1),
        "cold_max_ms": round(max(cold), 1), "first_search_ms": round(first, 1),
        "after_write_p50_ms": round(_percentile(sorted(after_write), 50), 1),
        "after_write_p95_ms": round(_percentile(sorted(after_write), 95), 1),
        "after_write_max_ms": round(max(after_write), 1),
        "slowest_after_write": sorted(((round(ms, 1), QUERIES[i][0] or "(browse)") for i, ms in enumerate(after_write)),
                                      reverse=True)[:5],
        "slowest_cold": sorted(((round(ms, 1), QUERIES[i][0] or "(browse)") for i, ms in enumerate(cold)),
                               reverse=True)[:5],
        "suggest_p50_ms": round(statistics.median(suggest), 1),
        "slowest": [(round(ms, 1), text, total) for ms, text, total in slowest],
        "peak_rss_mb": round(rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _write_one(engine, rng: random.Random, size: int) -> None:
    """Another user's edit: one resource changed and committed (the flush hook reindexes it, the log records it)."""
    with Session(engine) as session, session.begin():
        resource = session.get(Resource, rng.randrange(1, size + 1))
        resource.abstract = (resource.abstract or "") + "。"
        resource.updated_at = datetime.now(UTC)


def _percentile(values: list[float], p: int) -> float:
    index = max(0, min(len(values) - 1, round(p / 100 * len(values)) - 1))
    return values[index]


def _database(kind: str, postgres: str | None, folder: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'bench-{secrets.token_hex(4)}.db'}", lambda: None
    url = make_url(normalise_url(postgres))
    name = f"mulu_bench_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def quality() -> dict:
    """Bigram tokens against jieba on the demo catalog: recall and precision of 30 queries, tokenising speed.

    A resource is relevant when its title, keywords or abstract contain the query as written.
    """
    import jieba

    from catalog.search import text as tx

    jieba.setLogLevel(60)
    jieba.initialize()  # load the dictionary before timing
    entries = load_resources()
    docs = [" ".join([e["title"], *(e.get("keywords") or []), e.get("abstract") or ""]) for e in entries]
    words = [text for text, _f, _a in QUERIES if text and not text.isascii()][:30]
    # What a user may also type: 2–4 characters cut anywhere from a title (seeded, so fixed).
    rng = random.Random(3)
    titles = [e["title"] for e in entries if len(e["title"]) >= 6]
    pieces = []
    for title in rng.sample(titles, 30):
        size = rng.randint(2, 4)
        start = rng.randrange(len(title) - size)
        pieces.append(title[start:start + size])
    schemes = {
        "bigram": (lambda s: set(tx.tokens(s, unigrams=True)),
                   lambda q: {t for g in tx.parse_query(q).groups for a in g.alternatives for t in a}),
        "jieba_search": (lambda s: set(jieba.cut_for_search(tx.normalise(s))),
                         lambda q: {t for t in jieba.cut_for_search(tx.normalise(q)) if t.strip()}),
    }
    report = {}
    for name, (index, query) in schemes.items():
        began = time.perf_counter()
        indexed = [index(d) for d in docs]
        report[name] = {"us_per_doc": round((time.perf_counter() - began) / len(docs) * 1e6, 1), "docs": len(docs)}
        for label, queries in (("words", words), ("title_pieces", pieces)):
            recall, precision = [], []
            for q in queries:
                relevant = {i for i, d in enumerate(docs)
                            if all(w in tx.normalise(d) for w in tx.normalise(q).split())}
                found = {i for i, tokens in enumerate(indexed) if query(q) <= tokens}
                if relevant:
                    recall.append(len(found & relevant) / len(relevant))
                if found:
                    precision.append(len(found & relevant) / len(found))
            report[name][label] = {"recall": round(statistics.mean(recall), 3),
                                   "precision": round(statistics.mean(precision), 3), "queries": len(queries)}
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test",
                        help="URL of a PostgreSQL server where a throwaway database may be created")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the 50 queries")
    parser.add_argument("--quality", action="store_true", help="compare the tokeniser with jieba instead")
    parser.add_argument("--child", nargs=3, metavar=("URL", "SIZE", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quality:
        print(json.dumps(quality(), ensure_ascii=False, indent=2))
        return
    if args.child:
        url, size, rounds = args.child
        print(json.dumps(run_one(url, int(size), int(rounds)), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases:
            for size in args.sizes:
                url, drop = _database(kind, args.postgres, Path(folder))
                try:
                    out = subprocess.run([sys.executable, __file__, "--child", url, str(size), str(args.rounds)],
                                         check=True, capture_output=True, text=True).stdout
                finally:
                    drop()
                print(out.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
