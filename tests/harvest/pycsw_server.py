"""A real pycsw 2.6.2 server for the CSW harvester tests, in its own virtualenv.

pycsw 2.6.2 (the newest on PyPI) needs ``OWSLib<0.29`` and SQLAlchemy 1.x, which must stay out of
Mulu's environment, so the server runs from a virtualenv of its own, cached under
``~/.cache/mulu-test-pycsw/<key>/venv`` (``MULU_TEST_PYCSW_CACHE`` moves the cache) and built once:
a fresh CI machine spends about a minute on it, later runs none. The server is pycsw's WSGI
application under :mod:`wsgiref` on 127.0.0.1 with a SQLite repository loaded with
``pycsw-admin.py -c load_records``. When the virtualenv cannot be built (no network) the tests that
need it are skipped with the pip output as the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REQUIREMENTS = ("pycsw==2.6.2", "OWSLib<0.29", "SQLAlchemy<2")
KEY = "pycsw-2.6.2-owslib0.28-sqla1-py{}.{}".format(*sys.version_info[:2])
SERVE = textwrap.dedent("""
    import os
    import sys
    from wsgiref.simple_server import WSGIRequestHandler, make_server
    from pycsw.wsgi import application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, application, handler_class=Quiet)
    print(server.server_port, flush=True)
    sys.stdout = open(os.devnull, "w")  # pycsw prints every PATH_INFO: an unread pipe would block it
    server.serve_forever()
""")
CONFIG = """\
[server]
home={home}
url=http://127.0.0.1/csw
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=en-US
maxrecords={maxrecords}
loglevel=WARNING
logfile={home}/pycsw.log
pretty_print=false
gzip_compresslevel=8
domainquerytype=list
domaincounts=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=Mulu test pycsw
identification_abstract=pycsw for the Mulu CSW harvester tests
identification_keywords=test
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=Mulu
provider_url=http://127.0.0.1/
contact_name=Mulu
contact_position=Test
contact_address=-
contact_city=-
contact_stateorprovince=-
contact_postalcode=-
contact_country=-
contact_phone=-
contact_fax=-
contact_email=test@example.org
contact_url=http://127.0.0.1/
contact_hours=-
contact_instructions=-
contact_role=pointOfContact

[repository]
database=sqlite:///{home}/records.db
table=records

[metadata:inspire]
enabled=false
languages_supported=eng
default_language=eng
date=2026-01-01
gemet_keywords=Utility and governmental services
conformity_service=notEvaluated
contact_name=Mulu
contact_email=test@example.org
temp_extent=2026-01-01/2026-12-31
"""


class PycswUnavailable(Exception):
    """The pycsw virtualenv cannot be built here (no network, no PyPI)."""


def cache_dir() -> Path:
    return Path(os.environ.get("MULU_TEST_PYCSW_CACHE") or Path.home() / ".cache" / "mulu-test-pycsw")


def virtualenv() -> Path:
    """The cached virtualenv's python, built on first use (atomically: a half-built one is never used)."""
    home = cache_dir() / KEY
    python = home / "venv" / "bin" / "python"
    if (home / "venv" / ".complete").exists():
        return python
    home.mkdir(parents=True, exist_ok=True)
    building = home / f"venv.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    try:
        subprocess.run([base, "-m", "venv", str(building)], check=True, capture_output=True, timeout=120)
        pip = subprocess.run([str(building / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", *REQUIREMENTS],
                             capture_output=True, text=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise PycswUnavailable(f"cannot create the pycsw virtualenv: {exc}") from None
    if pip.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        tail = "\n".join(line for line in (pip.stderr or pip.stdout).splitlines() if "WARNING" not in line)[-800:]
        raise PycswUnavailable(f"pip install {' '.join(REQUIREMENTS)} failed (no network?): {tail}")
    (building / ".complete").write_text(" ".join(REQUIREMENTS))
    try:
        building.rename(home / "venv")
    except OSError:  # another process finished first: use its venv
        shutil.rmtree(building, ignore_errors=True)
    # The scripts of a renamed venv keep the old path in their #! line: always call them via python.
    return python


class PycswServer:
    """pycsw loaded with the records of ``records_dir``, listening on 127.0.0.1."""

    def __init__(self, python: Path, home: Path, records_dir: Path, *, maxrecords: int = 10):
        self.python = python
        self.home = home
        self.config = home / "pycsw.cfg"
        self.config.write_text(CONFIG.format(home=home, maxrecords=maxrecords))
        self.records_dir = records_dir
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/csw"

    def _admin(self, *args: str) -> None:
        admin = self.python.parent / "pycsw-admin.py"
        result = subprocess.run([str(self.python), str(admin), *args, "-f", str(self.config)],
                                capture_output=True, text=True, timeout=300, cwd=self.home)
        if result.returncode != 0:
            raise RuntimeError(f"pycsw-admin.py {' '.join(args)} failed: {result.stderr[-2000:]}")

    def start(self) -> PycswServer:
        self._admin("-c", "setup_db")
        self._admin("-c", "load_records", "-p", str(self.records_dir))
        env = {**os.environ, "PYCSW_CONFIG": str(self.config)}
        env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen([str(self.python), "-c", SERVE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env, cwd=self.home)
        deadline = time.monotonic() + 60
        line = self.process.stdout.readline()
        if not line.strip().isdigit() or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"pycsw did not start: {line} {self.process.stderr.read()[-2000:]}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
