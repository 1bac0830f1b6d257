"""Harvest test fixtures: a local HTTP server serving the real fixtures, a client allowed to reach it, sources."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher

from harvesters.http import HttpClient, HttpPolicy
from harvesters.runner import run_source
from harvesters.services import HarvestSourceService
from tests.catalog.factories import World, build_world

Handler = Callable[[str, dict], tuple[int, dict, bytes]]


class Site:
    """What the local server answers: exact paths (with or without the query) or prefix handlers."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.handlers: list[tuple[str, Handler]] = []
        self.requests: list[str] = []
        self.bodies: list[bytes] = []  # POSTed bodies, in order (a handler reads the last one)
        self.port = 0
        self.rewrite: dict[bytes, bytes] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str | dict | list, *, status: int = 200,
            content_type: str = "application/json", headers: dict | None = None) -> str:
        if isinstance(body, dict | list):
            body = json.dumps(body, ensure_ascii=False)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, body)
        return self.url(path)

    def handle(self, prefix: str, handler: Handler) -> str:
        self.handlers.append((prefix, handler))
        return self.url(prefix)

    def answer(self, target: str) -> tuple[int, dict, bytes]:
        self.requests.append(target)
        parts = urlsplit(target)
        for key in (target, parts.path):
            if key in self.routes:
                status, headers, body = self.routes[key]
                for old, new in self.rewrite.items():
                    body = body.replace(old, new)
                return status, headers, body
        for prefix, handler in self.handlers:
            if parts.path.startswith(prefix):
                return handler(parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()})
        return 404, {"Content-Type": "text/plain"}, b"not found"


def _request_handler(site: Site):
    class RequestHandler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            status, headers, body = site.answer(self.path)
            delay = headers.pop("X-Test-Delay", None)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers and not headers.get("X-Test-No-Length"):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if delay:
                    time.sleep(float(delay))
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            site.bodies.append(self.rfile.read(length))
            self.do_GET()

        def log_message(self, *args):
            pass

    return RequestHandler


@pytest.fixture
def site():
    """A web server on 127.0.0.1 in a thread, for one test."""
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _request_handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def http():
    """A client that may reach loopback addresses (tests only) with short timeouts."""
    client = HttpClient(HttpPolicy(allow_private=True, connect_timeout=2, read_timeout=2, total_timeout=10))
    yield client
    client.close()


@pytest.fixture
def world(container, session, monkeypatch) -> World:
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(container, session)


@pytest.fixture
def sources(world):
    """Create sources as the admin: ``sources(name, type, url, **settings)``."""

    def make(name: str, type_: str, url: str, *, department="mzj", defaults=None, **settings):
        service = HarvestSourceService(world.container, world.session, world.actor("admin"))
        data = {"name": name, "type": type_, "url": url, "department": department,
                "defaults": defaults or {"classification_code": "307"}, **settings}
        return service.create(data)

    return make


class Clock:
    """A clock the test moves forward (grace periods, schedules, the reaper)."""

    def __init__(self):
        self.moment = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def harvest(container, session, http, clock):
    """Run a source like ``mulu harvest run`` does: ``harvest(source, dry_run=…, max_items=…)``."""

    def run(source, **kwargs):
        kwargs.setdefault("http", http)
        kwargs.setdefault("now", clock)
        kwargs.setdefault("secrets", {})
        return run_source(container, session, source, **kwargs)

    return run
