"""The catalog container: settings, engine, sessions, vocabularies and the metadata profile, built once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from catalog.config import Settings
from catalog.db import make_engine, make_session_factory, unit_of_work, utcnow


@dataclass
class Container:
    """Everything a service needs besides its session and actor; the CLI and the web app each build one."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    # When things happen: services stamp workflow events, revisions, audit entries and resources with it.
    # Real time by default; the demo builder replays months of history and tests freeze it (aware UTC).
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Container:
        """Build the container (no database I/O happens here).

        :param settings: settings to use; read from the environment when omitted.
        """
        settings = settings or Settings.from_env()
        engine = make_engine(settings.database_url, echo=settings.echo_sql)
        return cls(settings=settings, engine=engine, session_factory=make_session_factory(engine))

    @functools.cached_property
    def vocab(self):
        """The vocabulary registry: shipped SKOS files, ``MULU_VOCAB_PATHS``, then imported ones."""
        from vocab import load_registry

        return load_registry([*self.settings.vocab_paths, *sorted(map(str, self.vocab_dir.glob("*.ttl")))])

    @property
    def vocab_dir(self):
        """Vocabularies imported with ``mulu vocab import`` (they override shipped schemes of the same name)."""
        from pathlib import Path

        return Path(self.settings.instance_path) / "vocab"

    @functools.cached_property
    def profile(self):
        """The metadata profile: the national core plus the configured extensions."""
        from catalog.profile import load_profile

        return load_profile(self.settings.profiles, self.settings.profile_paths, self.vocab)

    @functools.cached_property
    def timezone(self):
        """The catalog's time zone (``MULU_TIMEZONE``): dates such as 发布日期 are local dates."""
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        """The current moment by the container's clock, aware, in UTC."""
        return self.clock()

    def today(self):
        """Today's date in the catalog's time zone, by the container's clock."""
        return self.clock().astimezone(self.timezone).date()

    def unit_of_work(self):
        """A session in one transaction, committed at the end of the ``with`` block."""
        return unit_of_work(self.session_factory)

    def dispose(self) -> None:
        self.engine.dispose()
