"""Settings: every ``MULU_*`` environment variable is read here and nowhere else."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())


def _ratio(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number such as 0.8, got {raw!r}") from None
    if not 0 < value <= 1:
        raise SettingsError(f"{name} must be above 0 and at most 1, got {raw!r}")
    return value


def _date(env: Mapping[str, str], name: str, default: date) -> date:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be an ISO date such as 2010-12-31, got {raw!r}") from None


_RATE = re.compile(r"\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?\s*", re.IGNORECASE)


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate limit such as ``120 per minute``, or several separated by ``;`` (Flask-Limiter's notation)."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not all(_RATE.fullmatch(part) for part in raw.split(";")):
        raise SettingsError(f"{name} must be a rate such as '120 per minute' or '10/second;500/hour', got {raw!r}")
    return raw.strip()


@dataclass(frozen=True)
class Settings:
    """Everything Mulu can be configured with; build it with :meth:`from_env` or directly in tests."""

    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str = ""
    secret_key: str | None = None
    default_locale: str = "zh_CN"
    profiles: tuple[str, ...] = ("huainan",)
    profile_paths: tuple[str, ...] = ()
    vocab_paths: tuple[str, ...] = ()
    department_review: bool = False
    code_sequence_width: int = 6
    timezone: str = "Asia/Shanghai"
    echo_sql: bool = False
    # Search engine: "embedded" (the database's own full text) or "elasticsearch" (issue #3).
    search_backend: str = "embedded"
    elasticsearch_url: str | None = None
    elasticsearch_index: str = "mulu-resources"
    elasticsearch_analyzer: str = "cjk"
    elasticsearch_pinyin: bool = False
    # Harvesting refuses loopback and private addresses unless a host is allowed here (intranet portals).
    harvest_allow_hosts: tuple[str, ...] = ()
    harvest_deny_hosts: tuple[str, ...] = ()
    # Records gone upstream are withdrawn after this many days, unless a source says otherwise (its default).
    harvest_withdraw_after_days: int = 7
    # Several harvest workers on several machines share one RQ queue on this Redis.
    redis_url: str | None = None
    # REST API rate limits (issue #5), per token or else per client address; stored in Redis when redis_url is set.
    api_rate_limit: str = "120 per minute"
    api_write_rate_limit: str = "30 per minute"
    # The plan's target: 80% of the departments' resources cataloged, registered and published by the
    # end of the 11th five-year period (淮府〔2007〕20号).
    coverage_target: float = 0.8
    coverage_target_date: date = date(2010, 12, 31)
    # Uploaded spreadsheets whose import preview was never confirmed are deleted after this many hours.
    upload_ttl_hours: int = 24

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.instance_path) / 'mulu.db'}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Read settings from ``MULU_*`` variables.

        :param env: the environment to read; ``os.environ`` when omitted.
        :param overrides: values that win over the environment (used by the CLI's options).
        :returns: frozen settings.
        :raises SettingsError: naming the variable whose value is unusable.
        """
        env = os.environ if env is None else env
        instance = Path(env.get("MULU_INSTANCE_PATH") or (Path.cwd() / "instance"))
        values = dict(
            instance_path=instance,
            database_url=env.get("MULU_DATABASE_URL", ""),
            secret_key=env.get("MULU_SECRET_KEY") or None,
            default_locale=env.get("MULU_DEFAULT_LOCALE", "zh_CN"),
            profiles=_list(env, "MULU_PROFILES", ("huainan",)),
            profile_paths=_list(env, "MULU_PROFILE_PATHS", ()),
            vocab_paths=_list(env, "MULU_VOCAB_PATHS", ()),
            department_review=_bool(env, "MULU_DEPARTMENT_REVIEW", False),
            code_sequence_width=_int(env, "MULU_CODE_SEQUENCE_WIDTH", 6, 4, 12),
            timezone=env.get("MULU_TIMEZONE", "Asia/Shanghai"),
            echo_sql=_bool(env, "MULU_ECHO_SQL", False),
            search_backend=(env.get("MULU_SEARCH_BACKEND") or "embedded").strip().lower(),
            elasticsearch_url=env.get("MULU_ELASTICSEARCH_URL") or None,
            elasticsearch_index=env.get("MULU_ELASTICSEARCH_INDEX") or "mulu-resources",
            elasticsearch_analyzer=_choice(env, "MULU_ELASTICSEARCH_ANALYZER", ("cjk", "ik"), "cjk"),
            elasticsearch_pinyin=_bool(env, "MULU_ELASTICSEARCH_PINYIN", False),
            harvest_allow_hosts=_list(env, "MULU_HARVEST_ALLOW_HOSTS", ()),
            harvest_deny_hosts=_list(env, "MULU_HARVEST_DENY_HOSTS", ()),
            harvest_withdraw_after_days=_int(env, "MULU_HARVEST_WITHDRAW_AFTER_DAYS", 7, 0, 3650),
            redis_url=env.get("MULU_REDIS_URL") or None,
            api_rate_limit=_rate(env, "MULU_API_RATE_LIMIT", "120 per minute"),
            api_write_rate_limit=_rate(env, "MULU_API_WRITE_RATE_LIMIT", "30 per minute"),
            coverage_target=_ratio(env, "MULU_COVERAGE_TARGET", 0.8),
            coverage_target_date=_date(env, "MULU_COVERAGE_TARGET_DATE", date(2010, 12, 31)),
            upload_ttl_hours=_int(env, "MULU_UPLOAD_TTL_HOURS", 24, 1, 24 * 365),
        )
        if values["default_locale"] not in ("zh_CN", "en"):
            raise SettingsError(f"MULU_DEFAULT_LOCALE must be zh_CN or en, got {values['default_locale']!r}")
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"MULU_TIMEZONE must be an IANA time zone such as Asia/Shanghai, got {values['timezone']!r}") from None
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> Settings:
        """Return a copy with some values changed."""
        return dataclasses.replace(self, **changes)


# The settings table of the README is generated from this list, so it cannot drift from the code.
DOCUMENTED = (
    ("MULU_DATABASE_URL", "sqlite:///./instance/mulu.db", "SQLAlchemy URL; use postgresql+psycopg://… in production"),
    ("MULU_INSTANCE_PATH", "./instance", "folder for the SQLite database and the generated secret key"),
    ("MULU_SECRET_KEY", "generated into instance/secret_key", "signs sessions and CSRF tokens"),
    ("MULU_DEFAULT_LOCALE", "zh_CN", "interface and message language: zh_CN or en"),
    ("MULU_PROFILES", "huainan", "metadata profile extensions applied on top of the national core"),
    ("MULU_PROFILE_PATHS", "(none)", "extra profile extension YAML files, comma-separated"),
    ("MULU_VOCAB_PATHS", "(none)", "extra SKOS Turtle files loaded after the shipped vocabularies"),
    ("MULU_DEPARTMENT_REVIEW", "false", "require an internal department review before registration"),
    ("MULU_CODE_SEQUENCE_WIDTH", "6", "digits of the 顺序码 in resource codes"),
    ("MULU_TIMEZONE", "Asia/Shanghai", "time zone of dates such as 发布日期 and 元数据更新日期"),
    ("MULU_ECHO_SQL", "false", "log every SQL statement"),
    ("MULU_SEARCH_BACKEND", "embedded", "search engine: embedded (the database's full text) or elasticsearch"),
    ("MULU_ELASTICSEARCH_URL", "(none)", "Elasticsearch URL, e.g. http://127.0.0.1:9200 (elasticsearch backend)"),
    ("MULU_ELASTICSEARCH_INDEX", "mulu-resources", "the alias Mulu's versioned indexes sit behind"),
    ("MULU_ELASTICSEARCH_ANALYZER", "cjk", "Chinese analyzer: cjk (built in) or ik (needs the IK plugin)"),
    ("MULU_ELASTICSEARCH_PINYIN", "false", "add pinyin sub-fields (needs the pinyin plugin)"),
    ("MULU_HARVEST_ALLOW_HOSTS", "(none)", "hosts harvesting may reach even on private addresses, comma-separated"),
    ("MULU_HARVEST_DENY_HOSTS", "(none)", "hosts harvesting must never reach, comma-separated"),
    ("MULU_HARVEST_WITHDRAW_AFTER_DAYS", "7", "days before records gone upstream are withdrawn: new sources' default (0–3650)"),
    ("MULU_REDIS_URL", "(none)", "Redis URL: `mulu harvest worker` then shares an RQ queue with other workers"),
    ("MULU_API_RATE_LIMIT", "120 per minute", "requests to /api per token (or per address without one), e.g. 10/second;500/hour"),
    ("MULU_API_WRITE_RATE_LIMIT", "30 per minute", "writes (POST, PUT, PATCH, DELETE) to /api per token or address, on top"),
    ("MULU_COVERAGE_TARGET", "0.8", "share of expected inventory items to publish (0 < x ≤ 1), per department"),
    ("MULU_COVERAGE_TARGET_DATE", "2010-12-31", "date the coverage target is due (ISO date; the plan's period end)"),
    ("MULU_UPLOAD_TTL_HOURS", "24", "hours an uploaded import file waits for its confirmation before it is deleted"),
)
