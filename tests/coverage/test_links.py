"""``mulu links check``: the checker against a local server (ok, 404, timeout, redirect loop …), its bookkeeping and the quality score.

The server is Python's own http.server on 127.0.0.1 in a thread; the checker reaches it because the
tests allow private addresses (production refuses them unless a host is allowed).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from catalog.actor import Actor
from catalog.coverage.links import BROKEN_AFTER, KEEP_RUNS, LinkCheckService, LinkOutcome
from catalog.coverage.quality_service import QualityService
from catalog.errors import PermissionDeniedError
from catalog.models import LinkCheck
from catalog.models.link import LinkCheckResult, LinkCheckRun
from catalog.services.resource import ResourceService
from cli import main
from harvesters import http as safe_http
from harvesters.http import HttpPolicy
from harvesters.links import (
    FAILURE_REASONS,
    MAX_BACKOFF,
    POLICY_REFUSALS,
    LinkChecker,
    LinkPolicy,
    retry_after,
)
from tests.catalog.factories import WORKFLOW_PATHS, advance, resource_input
from tests.clitools import cli_on_fresh_database

SLOW_SECONDS = 1.5


class Handler(BaseHTTPRequestHandler):
    """Answers by path; counts requests so retries can be seen."""

    hits: dict[str, int] = {}
    lock = threading.Lock()
    in_flight = most_in_flight = 0

    def log_message(self, *_args) -> None:  # keep the test output quiet
        pass

    def _answer(self, body: bool) -> None:
        with self.lock:
            self.hits[self.path] = self.hits.get(self.path, 0) + 1
            count = self.hits[self.path]
        path = self.path
        status, headers = 200, {}
        if path == "/missing":
            status = 404
        elif path == "/no-head" and self.command == "HEAD":
            status = 405
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
        elif path.startswith("/busy"):
            with self.lock:
                Handler.in_flight += 1
                Handler.most_in_flight = max(Handler.most_in_flight, Handler.in_flight)
            time.sleep(0.15)
            with self.lock:
                Handler.in_flight -= 1
        elif path == "/loop":
            status, headers = 302, {"Location": "/loop"}
        elif path == "/ping":
            status, headers = 301, {"Location": "/pong"}
        elif path == "/pong":
            status, headers = 301, {"Location": "/ping"}
        elif path == "/moved":
            status, headers = 301, {"Location": "/ok"}
        elif path == "/flaky" and count <= 2:  # the first attempt's HEAD and GET
            status = 503
        elif path == "/broken":
            status = 500
        elif path == "/throttled" and count == 1:
            status, headers = 429, {"Retry-After": "7"}
        elif path == "/throttled-long" and count == 1:
            status, headers = 503, {"Retry-After": "3600"}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        payload = b"x" * 1000
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body and status == 200:
            self.wfile.write(payload)

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def checker():
    Handler.hits.clear()
    pauses: list[float] = []
    checker = LinkChecker(LinkPolicy(concurrency=4, connect_timeout=1, read_timeout=0.4, retries=2, backoff=0.01),
                          HttpPolicy(allow_private=True), sleep=pauses.append)
    checker.pauses = pauses
    return checker


def test_ok_moved_and_head_refused_answer(server, checker):
    ok, moved, no_head = checker.check_all([f"{server}/ok", f"{server}/moved", f"{server}/no-head"])
    assert (ok.ok, ok.status_code, ok.method, ok.attempts) == (True, 200, "HEAD", 1)
    assert moved.ok and moved.final_url == f"{server}/ok"
    assert no_head.ok and no_head.method == "GET" and no_head.status_code == 200
    assert Handler.hits["/no-head"] == 2  # HEAD, then GET


def test_404_fails_at_once_and_500_after_retries(server, checker):
    missing, broken = checker.check_all([f"{server}/missing", f"{server}/broken"])
    assert (missing.ok, missing.reason, missing.status_code, missing.attempts) == (False, "http_status", 404, 1)
    assert (broken.ok, broken.status_code, broken.attempts) == (False, 500, 3)
    assert checker.pauses == [0.01, 0.02]  # backoff doubles


def test_a_passing_failure_is_retried(server, checker):
    flaky = checker.check(f"{server}/flaky")
    assert flaky.ok and flaky.attempts == 2


def test_timeout(server, checker):
    started = time.monotonic()
    slow = checker.check(f"{server}/slow")
    assert (slow.ok, slow.reason, slow.attempts) == (False, "timeout", 3)
    assert time.monotonic() - started < 3 * SLOW_SECONDS  # each attempt gave up after the read timeout


def test_redirect_loops(server, checker):
    loop, ping = checker.check_all([f"{server}/loop", f"{server}/ping"])
    assert (loop.ok, loop.reason) == (False, "redirect_loop")
    assert (ping.ok, ping.reason, ping.final_url) == (False, "redirect_loop", f"{server}/ping")


def test_skipped_not_failed_other_schemes_and_refused_hosts(server):
    strict = LinkChecker(LinkPolicy(retries=0), HttpPolicy())  # production policy: loopback refused
    refused, ftp = strict.check_all([f"{server}/ok", "ftp://data.example/file.zip"])
    assert (refused.skipped, refused.reason) == (True, "refused")
    assert (ftp.skipped, ftp.reason, ftp.attempts) == (True, "scheme", 0)


def test_unresolvable_host(checker):
    def resolver(*_args, **_kwargs):
        raise OSError("no such host")

    dns = LinkChecker(LinkPolicy(retries=0), HttpPolicy(), resolver=resolver)
    outcome = dns.check("https://nowhere.invalid/data.csv")
    assert (outcome.ok, outcome.skipped, outcome.reason) == (False, False, "unresolvable")


def test_bounded_concurrency(server):
    # Sixteen URLs that each keep the server busy a moment: never more than the workers in flight at once.
    urls = [f"{server}/busy?{n}" for n in range(16)]
    for workers in (2, 6):
        Handler.in_flight = Handler.most_in_flight = 0
        checker = LinkChecker(LinkPolicy(concurrency=workers, per_host=workers, connect_timeout=1, read_timeout=5,
                                         retries=0), HttpPolicy(allow_private=True))
        assert all(o.ok for o in checker.check_all(urls))
        assert Handler.most_in_flight == workers if workers == 2 else 2 < Handler.most_in_flight <= workers


def test_one_host_gets_at_most_per_host_requests_at_once(server):
    urls = [f"{server}/busy?host-{n}" for n in range(12)]
    Handler.in_flight = Handler.most_in_flight = 0
    checker = LinkChecker(LinkPolicy(concurrency=6, per_host=2, connect_timeout=1, read_timeout=5, retries=0),
                          HttpPolicy(allow_private=True))
    assert all(o.ok for o in checker.check_all(urls))
    assert Handler.most_in_flight == 2  # six workers, one host: the other four wait for a slot


def test_the_servers_retry_after_is_the_pause_capped(server, checker):
    throttled = checker.check(f"{server}/throttled")
    assert throttled.ok and throttled.attempts == 2 and checker.pauses == [7.0]
    checker.pauses.clear()
    assert checker.check(f"{server}/throttled-long").ok and checker.pauses == [MAX_BACKOFF]


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after("Fri, 27 Nov 2026 03:00:30 GMT", now) == 30.0
    assert retry_after("Fri, 27 Nov 2026 02:59:00 GMT", now) == 0.0  # already past
    assert retry_after("soon") is None and retry_after(None) is None and retry_after("-5") is None


def test_the_msgids_the_checker_classifies_exist_in_the_http_client():
    source = open(safe_http.__file__, encoding="utf-8").read()
    for msgid in [*POLICY_REFUSALS, *FAILURE_REASONS]:
        assert f'"{msgid}"' in source, msgid


# -- bookkeeping and the quality score -------------------------------------------------------------


def _outcome(url: str, ok: bool, **extra) -> LinkOutcome:
    return LinkOutcome(url, ok=ok, status_code=200 if ok else 404, reason=None if ok else "http_status", **extra)


def test_broken_only_after_consecutive_failures_across_runs(world):
    service = LinkCheckService(world.container, world.session, world.actor("manager"))
    url = "https://data.example/a.csv"
    runs = [service.record([_outcome(url, False)], started_at=world.container.now()) for _ in range(BROKEN_AFTER - 1)]
    link = world.session.scalars(select(LinkCheck).where(LinkCheck.url == url)).one()
    assert (link.failures, link.broken) == (BROKEN_AFTER - 1, False) and runs[-1].newly_broken == 0
    run = service.record([_outcome(url, False)], started_at=world.container.now())
    assert (link.failures, link.broken, run.newly_broken, run.failed) == (BROKEN_AFTER, True, 1, 1)
    service.record([_outcome(url, True)], started_at=world.container.now())
    assert (link.failures, link.broken) == (0, False)
    results = world.session.scalars(select(LinkCheckResult).where(LinkCheckResult.link_id == link.id)).all()
    assert [r.ok for r in results] == [False] * BROKEN_AFTER + [True]


def test_skipped_urls_are_listed_but_never_counted(world):
    service = LinkCheckService(world.container, world.session, world.actor("admin"))
    run = service.record([LinkOutcome("ftp://x/y", ok=False, skipped=True, reason="scheme")],
                         started_at=world.container.now())
    assert (run.skipped, run.checked) == (1, 0)
    assert world.session.scalars(select(LinkCheck).where(LinkCheck.url == "ftp://x/y")).first() is None
    assert world.session.scalars(select(LinkCheckResult).where(LinkCheckResult.run_id == run.id)).one().skipped


def test_old_runs_lose_their_results(world):
    service = LinkCheckService(world.container, world.session, world.actor("admin"))
    for _ in range(KEEP_RUNS + 2):
        service.record([_outcome("https://data.example/kept.csv", True)], started_at=world.container.now())
    runs = world.session.scalars(select(LinkCheckRun)).all()
    assert len(runs) == KEEP_RUNS
    assert len(world.session.scalars(select(LinkCheckResult)).all()) == KEEP_RUNS


def test_only_managers_and_admins_check_links(world):
    for role in ("officer", "reviewer", "auditor"):
        with pytest.raises(PermissionDeniedError):
            LinkCheckService(world.container, world.session, world.actor(role)).urls()


def test_the_quality_score_reads_the_link_checks(world):
    service = world.service("admin")
    links = [{"kind": "link", "title": "下载", "url": "https://data.example/ok.csv"},
             {"kind": "file", "title": "文件", "url": "https://data.example/gone.zip"},
             {"kind": "table", "title": "库表"}]
    resource = service.create(resource_input(world.mzj, title="链接测试资源", distributions=links))
    advance(service, resource.id, WORKFLOW_PATHS["published"])
    draft = service.create(resource_input(world.mzj, title="草稿链接", distributions=[
        {"kind": "link", "url": "https://data.example/draft.csv"}]))
    checks = LinkCheckService(world.container, world.session, world.actor("admin"))
    urls = checks.urls()
    assert {"https://data.example/ok.csv", "https://data.example/gone.zip"} <= set(urls)
    assert "https://data.example/draft.csv" not in urls and draft.status == "draft"

    def links_component():
        report = QualityService(world.container, world.session, world.actor("auditor")).report()
        return next(r for r in report.resources if r.id == resource.id).components["links"]

    assert links_component().state == "not_measured"  # never silently 100%
    for _ in range(BROKEN_AFTER):
        checks.record([_outcome("https://data.example/ok.csv", True), _outcome("https://data.example/gone.zip", False)],
                      started_at=world.container.now())
    component = links_component()
    assert (component.state, component.value, component.problems) == ("measured", 0.5,
                                                                       ("https://data.example/gone.zip",))
    # The never-checked URLs come first next time, so that a run cut short with --limit moves on.
    assert checks.urls()[-2:] == sorted(["https://data.example/gone.zip", "https://data.example/ok.csv"])


# -- the command line ------------------------------------------------------------------------------


def test_links_check_and_show_commands(server, tmp_path):
    with cli_on_fresh_database(tmp_path, "links") as cli:
        container = cli.seed()
        with container.unit_of_work() as session:
            service = ResourceService(container, session, Actor.system("test"))
            resource = service.create(resource_input("hn-mzj", title="链接资源", distributions=[
                {"kind": "link", "url": f"{server}/ok"}, {"kind": "file", "url": f"{server}/missing"},
                {"kind": "link", "url": f"{server}/loop"}]))
            advance(service, resource.id, WORKFLOW_PATHS["registered"])
        env = {**cli.env, "MULU_HARVEST_ALLOW_HOSTS": "127.0.0.1"}  # the test server is on loopback
        for run in range(1, BROKEN_AFTER + 1):
            result = cli.runner.invoke(main, ["links", "check", "--retries", "0", "--timeout", "2"], env=env,
                                       catch_exceptions=False)
            assert result.exit_code == 0, result.output
            assert "FAIL  404" in result.stdout and "redirect_loop" in result.stdout and "/ok" not in result.stdout
            newly = 2 if run == BROKEN_AFTER else 0
            assert f"run {run}: 3 checked, 1 answered, 2 failed ({newly} now broken" in result.stdout
        refused = cli.ok("links", "check")  # without the allow list, loopback is refused: skipped, not failed
        assert "run 4: 0 checked, 0 answered, 0 failed" in refused.stdout and "3 skipped" in refused.stdout
        shown = cli.ok("links", "show", "--broken").stdout.splitlines()
        assert [line.split()[0] for line in shown] == ["broken", "broken"]
        assert {line.split()[-1] for line in shown} == {f"{server}/missing", f"{server}/loop"}
