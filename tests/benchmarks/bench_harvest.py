"""Benchmark of harvesting: a synthetic 10,000-record paged DCAT catalog served locally, harvested end to end on SQLite.

Not collected by pytest (``norecursedirs``); run it by hand, figures go to docs/performance.md::

    python tests/benchmarks/bench_harvest.py                      # 10,000 records, pages of 100, SQLite
    python tests/benchmarks/bench_harvest.py --records 2000 --profile 40

A child process serves the catalog as Turtle pages of a Hydra collection (``hydra:next`` links),
built from ``catalog.demo.synthetic.generate_resources`` (realistic Chinese titles, abstracts,
keywords and distributions of the demo city's departments). The parent creates a fresh SQLite
database and one ``dcat`` source, then runs the harvest twice through ``harvesters.runner.run_source``
exactly as ``mulu harvest run`` does: fetch, parse, map, validate, write through ``ResourceService``
(revisions, audit log) and index (the embedded search index's flush hook). Measured: records per
second of the first run, the time of the second run (nothing changed), the process's resident
memory after every page (its growth per page after a warm-up, least squares) and its peak.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import platform
import pstats
import resource as rlimit
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from catalog.actor import Actor  # noqa: E402
from catalog.config import Settings  # noqa: E402
from catalog.container import Container  # noqa: E402
from catalog.demo.synthetic import flatten_departments, generate_resources, load_departments  # noqa: E402
from catalog.models import Department, Resource  # noqa: E402
from catalog.models.search import SearchIndexEntry  # noqa: E402
from catalog.schema_setup import reset_database  # noqa: E402
from harvesters.http import HttpClient, HttpPolicy  # noqa: E402
from harvesters.runner import run_source  # noqa: E402
from harvesters.services import HarvestSourceService  # noqa: E402

SITE = "https://data.huainan.example"
EU = "http://publications.europa.eu/resource/authority"
FREQUENCIES = {"1": "CONT", "2": "DAILY", "3": "WEEKLY", "4": "MONTHLY", "5": "QUARTERLY", "6": "ANNUAL_2",
               "7": "ANNUAL", "8": "IRREG"}
ACCESS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED"}
MEDIA = {"xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv", "json": "application/json", "pdf": "application/pdf", "api": "application/json"}
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


# -- the remote catalog ------------------------------------------------------------------------------


def _lit(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"@zh'


def dataset_turtle(number: int, entry: dict, names: dict[str, str]) -> str:
    """One dcat:Dataset in Turtle, from a synthetic resource entry."""
    uri = f"<{SITE}/dataset/{number:06d}>"
    lines = [f"{uri} a dcat:Dataset ;", f'  dct:identifier "hn-{number:06d}" ;', f"  dct:title {_lit(entry['title'])} ;"]
    if entry.get("abstract"):
        lines.append(f"  dct:description {_lit(entry['abstract'])} ;")
    if entry.get("keywords"):
        lines.append("  dcat:keyword " + ", ".join(_lit(k) for k in entry["keywords"]) + " ;")
    if entry.get("update_cycle") in FREQUENCIES:
        lines.append(f"  dct:accrualPeriodicity <{EU}/frequency/{FREQUENCIES[entry['update_cycle']]}> ;")
    opened = entry.get("open") or {}
    access = ACCESS.get(opened.get("type")) if opened.get("is_open") else "NON_PUBLIC"
    if access:
        lines.append(f"  dct:accessRights <{EU}/access-right/{access}> ;")
    lines.append(f"  dct:publisher [ a foaf:Agent ; foaf:name {_lit(names.get(entry['department'], entry['department']))} ] ;")
    lines.append(f'  dct:modified "2024-{1 + number % 12:02d}-{1 + number % 28:02d}T08:00:00+08:00"^^xsd:dateTime ;')
    for dist in entry.get("distributions") or []:
        fmt = str(dist.get("format") or "").lower()
        media = f' ; dcat:mediaType "{MEDIA[fmt]}"' if fmt in MEDIA else ""
        lines.append(f"  dcat:distribution [ a dcat:Distribution ; dct:title {_lit(dist.get('title') or entry['title'])} ; "
                     f"dcat:downloadURL <{dist['url']}> ; dct:format \"{fmt.upper() or 'HTML'}\"{media} ] ;")
    lines.append(f"  dcat:landingPage <{SITE}/dataset/{number:06d}.html> .")
    return "\n".join(lines)


def build_pages(records: int, page_size: int) -> list[bytes]:
    """The catalog as Turtle pages; page N links to page N+1 with a relative hydra:next."""
    departments = flatten_departments(load_departments())
    names = {d["key"]: d["name"] for d in departments}
    datasets = [dataset_turtle(n, entry, names) for n, entry in enumerate(generate_resources(records, departments), 1)]
    pages = []
    count = max(1, -(-records // page_size))
    for index in range(count):
        chunk = datasets[index * page_size:(index + 1) * page_size]
        view = f"<catalog.ttl?page={index + 1}> a hydra:PartialCollectionView ; hydra:totalItems {records}"
        if index + 1 < count:
            view += f" ; hydra:next <catalog.ttl?page={index + 2}>"
        members = " ,\n  ".join(f"<{SITE}/dataset/{n:06d}>" for n in range(index * page_size + 1,
                                                                           index * page_size + len(chunk) + 1))
        body = "\n".join([PREFIXES, view + " .", f"<{SITE}/catalog> a dcat:Catalog ; dcat:dataset\n  {members} .", *chunk])
        pages.append(body.encode("utf-8"))
    return pages


def serve(records: int, page_size: int, ready) -> None:
    """The child process: build the pages once, then serve them until terminated."""
    pages = build_pages(records, page_size)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            number = int((parse_qs(parts.query).get("page") or ["1"])[0])
            if parts.path != "/catalog.ttl" or not 1 <= number <= len(pages):
                self.send_error(404)
                return
            body = pages[number - 1]
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.send((server.server_address[1], sum(len(p) for p in pages)))
    server.serve_forever()


# -- the harvest ------------------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares growth of y per x."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def harvest_once(container, source_id: int, http, page_size: int, profile: cProfile.Profile | None = None) -> dict:
    session = container.session_factory()
    samples: list[tuple[int, float, float]] = []
    started = time.perf_counter()
    cpu = time.process_time()

    def progress(done: int, _total) -> None:
        if done % page_size == 0:
            samples.append((done // page_size, time.perf_counter() - started, rss_mb()))

    try:
        source = HarvestSourceService(container, session, Actor.system("bench")).get(source_id)
        if profile:
            profile.enable()
        result = run_source(container, session, source, http=http, progress=progress, client="bench")
        if profile:
            profile.disable()
        elapsed = time.perf_counter() - started
        job = result.job
        return {"status": job.status, "counts": dict(job.counts), "errors": job.errors[:3], "seconds": round(elapsed, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2), "samples": samples}
    finally:
        session.close()


def machine() -> dict:
    """The CPU and Python the figures were taken on: the same code ran 426–515/s on one 2-core machine, 828–906/s on another."""
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--serial", action="store_true", help="Parse every page in process (no worker process).")
    parser.add_argument("--database", help="A database URL (default: a fresh SQLite file in a temporary folder).")
    parser.add_argument("--profile", type=int, metavar="N", help="Profile the first run; print the top N functions.")
    parser.add_argument("--profile-dump", metavar="PATH", help="Also write the first run's profile there (pstats).")
    args = parser.parse_args()

    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(args.records, args.page_size, send), daemon=True)
    server.start()
    port, size = receive.recv()
    folder = Path(tempfile.mkdtemp(prefix="mulu-bench-harvest-"))
    url = args.database or f"sqlite:///{folder / 'harvest.db'}"
    container = Container.from_settings(Settings(instance_path=folder / "instance", database_url=url))
    reset_database(container.engine)
    with container.unit_of_work() as session:
        session.add(Department(key="hn-sjj", name="淮南市数据资源局", uscc="11340400MB1234567X", division="340400",
                               catalog_segment="001", kind="department"))
        session.flush()
        source = HarvestSourceService(container, session, Actor.system("bench")).create({
            "name": "bench-dcat", "type": "dcat", "url": f"http://127.0.0.1:{port}/catalog.ttl?page=1",
            "department": "hn-sjj", "defaults": {"classification_code": "307"},
            "config": {"max_pages": 100000, "parallel": not args.serial}})
        source_id = source.id
    http = HttpClient(HttpPolicy(allow_private=True))
    profile = cProfile.Profile() if args.profile else None
    load = os.getloadavg()
    try:
        first = harvest_once(container, source_id, http, args.page_size, profile)
        second = harvest_once(container, source_id, http, args.page_size)
    finally:
        http.close()
        server.terminate()
    with container.unit_of_work() as session:
        resources = session.query(Resource).count()
        indexed = session.query(SearchIndexEntry).count()
    pages = first["samples"]
    warm = [(page, mb) for page, _t, mb in pages if page >= min(10, max(1, len(pages) // 4))]
    report = {
        "records": args.records, "page_size": args.page_size, "catalog_bytes": size, "database": url.split(":")[0],
        "first_run": {k: first[k] for k in ("status", "counts", "seconds", "cpu_seconds")},
        "records_per_second": round(args.records / first["seconds"], 1) if first["seconds"] else None,
        "second_run": {k: second[k] for k in ("status", "counts", "seconds", "cpu_seconds")},
        "second_over_first": round(second["seconds"] / first["seconds"], 3) if first["seconds"] else None,
        "rss_mb_after_page": {str(page): round(mb, 1) for page, _t, mb in pages
                              if page in (1, 10, len(pages) // 2, len(pages))},
        "rss_growth_kb_per_page": round(slope(warm) * 1000, 1),
        "peak_rss_mb": round(rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1),  # ru_maxrss is in KiB
        "resources": resources, "index_rows": indexed, "load_average_at_start": [round(v, 2) for v in load],
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "machine": machine(),
    }
    if first["errors"]:
        report["first_run_errors"] = first["errors"]
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if profile and args.profile_dump:
        profile.dump_stats(args.profile_dump)
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
    container.dispose()


if __name__ == "__main__":
    main()
