"""Settings: every ``MULU_*`` variable is read, checked and documented, and the README table matches the code."""

from __future__ import annotations

import ast
import dataclasses
import re
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest

import catalog.config
from catalog.config import DOCUMENTED, Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


class Sample(NamedTuple):
    raw: str  # a usable value of the variable
    attribute: str  # the Settings field it sets
    parsed: object  # what the raw value becomes
    default: object  # the field's value when the variable is unset; callables get the cwd


# One entry per variable a Settings may read; the tests use those in DOCUMENTED.
SAMPLES = {
    "MULU_DATABASE_URL": Sample(
        "postgresql+psycopg://mulu@db.example/mulu",
        "database_url",
        "postgresql+psycopg://mulu@db.example/mulu",
        lambda cwd: f"sqlite:///{cwd / 'instance' / 'mulu.db'}",
    ),
    "MULU_INSTANCE_PATH": Sample(
        "/srv/mulu", "instance_path", Path("/srv/mulu"), lambda cwd: cwd / "instance"
    ),
    "MULU_SECRET_KEY": Sample("s3cret", "secret_key", "s3cret", None),
    "MULU_DEFAULT_LOCALE": Sample("en", "default_locale", "en", "zh_CN"),
    "MULU_PROFILES": Sample("huainan, anhui", "profiles", ("huainan", "anhui"), ("huainan",)),
    "MULU_PROFILE_PATHS": Sample(
        "/etc/mulu/a.yaml;/etc/mulu/b.yaml", "profile_paths", ("/etc/mulu/a.yaml", "/etc/mulu/b.yaml"), ()
    ),
    "MULU_VOCAB_PATHS": Sample("/etc/mulu/local.ttl", "vocab_paths", ("/etc/mulu/local.ttl",), ()),
    "MULU_DEPARTMENT_REVIEW": Sample("yes", "department_review", True, False),
    "MULU_CODE_SEQUENCE_WIDTH": Sample("8", "code_sequence_width", 8, 6),
    "MULU_SEARCH_BACKEND": Sample("elasticsearch", "search_backend", "elasticsearch", "embedded"),
    "MULU_ELASTICSEARCH_URL": Sample(
        "http://127.0.0.1:9200", "elasticsearch_url", "http://127.0.0.1:9200", None
    ),
    "MULU_REDIS_URL": Sample("redis://127.0.0.1:6379/0", "redis_url", "redis://127.0.0.1:6379/0", None),
    "MULU_API_RATE_LIMIT": Sample("10/second;500/hour", "api_rate_limit", "10/second;500/hour", "120 per minute"),
    "MULU_API_WRITE_RATE_LIMIT": Sample("5 per 10 seconds", "api_write_rate_limit", "5 per 10 seconds", "30 per minute"),
    "MULU_ELASTICSEARCH_INDEX": Sample("catalog", "elasticsearch_index", "catalog", "mulu-resources"),
    "MULU_ELASTICSEARCH_ANALYZER": Sample("IK", "elasticsearch_analyzer", "ik", "cjk"),
    "MULU_ELASTICSEARCH_PINYIN": Sample("true", "elasticsearch_pinyin", True, False),
    "MULU_HARVEST_ALLOW_HOSTS": Sample(
        "ckan.intranet.example, 10.1.2.3", "harvest_allow_hosts", ("ckan.intranet.example", "10.1.2.3"), ()
    ),
    "MULU_HARVEST_DENY_HOSTS": Sample("evil.example", "harvest_deny_hosts", ("evil.example",), ()),
    "MULU_TIMEZONE": Sample("Asia/Urumqi", "timezone", "Asia/Urumqi", "Asia/Shanghai"),
    "MULU_ECHO_SQL": Sample("on", "echo_sql", True, False),
    "MULU_COVERAGE_TARGET": Sample("0.75", "coverage_target", 0.75, 0.8),
    "MULU_COVERAGE_TARGET_DATE": Sample("2025-12-31", "coverage_target_date", date(2025, 12, 31), date(2010, 12, 31)),
    "MULU_UPLOAD_TTL_HOURS": Sample("48", "upload_ttl_hours", 48, 24),
    "MULU_HARVEST_WITHDRAW_AFTER_DAYS": Sample("30", "harvest_withdraw_after_days", 30, 7),
}

BAD = [
    ("MULU_DEPARTMENT_REVIEW", "maybe"),
    ("MULU_ECHO_SQL", "2"),
    ("MULU_CODE_SEQUENCE_WIDTH", "six"),
    ("MULU_CODE_SEQUENCE_WIDTH", "3"),
    ("MULU_CODE_SEQUENCE_WIDTH", "13"),
    ("MULU_DEFAULT_LOCALE", "fr"),
    ("MULU_TIMEZONE", "Mars/Olympus"),
    ("MULU_ELASTICSEARCH_ANALYZER", "smartcn"),
    ("MULU_API_RATE_LIMIT", "lots"),
    ("MULU_API_WRITE_RATE_LIMIT", "30 per fortnight"),
    ("MULU_UPLOAD_TTL_HOURS", "0"),
    ("MULU_HARVEST_WITHDRAW_AFTER_DAYS", "-1"),
    ("MULU_HARVEST_WITHDRAW_AFTER_DAYS", "a week"),
    ("MULU_UPLOAD_TTL_HOURS", "a day"),
]

DOCUMENTED_NAMES = [name for name, _default, _meaning in DOCUMENTED]


def _sample(name: str) -> Sample:
    assert name in SAMPLES, f"add a Sample for {name} to SAMPLES in tests/test_settings.py"
    return SAMPLES[name]


@pytest.mark.parametrize("name", DOCUMENTED_NAMES)
def test_each_variable_is_read(name):
    sample = _sample(name)
    assert getattr(Settings.from_env({name: sample.raw}), sample.attribute) == sample.parsed
    assert sample.parsed != sample.default, "the sample value must differ from the default"


@pytest.mark.parametrize("name", DOCUMENTED_NAMES)
def test_defaults(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sample = _sample(name)
    expected = sample.default(tmp_path) if callable(sample.default) else sample.default
    assert getattr(Settings.from_env({}), sample.attribute) == expected


@pytest.mark.parametrize(("name", "raw"), [(name, raw) for name, raw in BAD if name in DOCUMENTED_NAMES])
def test_bad_values_name_the_variable(name, raw):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: raw})


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on", " True "])
def test_true_spellings(raw):
    assert Settings.from_env({"MULU_ECHO_SQL": raw}).echo_sql is True


@pytest.mark.parametrize("raw", ["0", "false", "no", "off", ""])
def test_false_spellings(raw):
    assert Settings.from_env({"MULU_DEPARTMENT_REVIEW": raw}).department_review is False


def _as_documented(value, cwd: Path) -> str:
    if value is None or value == ():
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value).replace(str(cwd), ".")


def test_documented_defaults_are_the_real_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    for name, documented, _meaning in DOCUMENTED:
        value = getattr(settings, _sample(name).attribute)
        if value is None and documented.startswith("generated"):
            continue  # e.g. the secret key, created on first start
        assert _as_documented(value, tmp_path) == documented, name


def test_instance_path_moves_the_default_database():
    settings = Settings.from_env({"MULU_INSTANCE_PATH": "/srv/mulu"})
    assert settings.database_url == "sqlite:////srv/mulu/mulu.db"


def test_from_env_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("MULU_ECHO_SQL", "true")
    assert Settings.from_env().echo_sql is True


def test_overrides_win_over_the_environment():
    settings = Settings.from_env({"MULU_DATABASE_URL": "sqlite:///a.db"}, database_url="sqlite:///b.db")
    assert settings.database_url == "sqlite:///b.db"


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().echo_sql = True  # type: ignore[misc]


def test_every_setting_has_a_documented_variable():
    fields = {f"MULU_{field.name.upper()}" for field in dataclasses.fields(Settings)}
    assert fields == set(DOCUMENTED_NAMES)
    assert len(DOCUMENTED_NAMES) == len(set(DOCUMENTED_NAMES)), "a variable is documented twice"


def test_every_variable_read_in_config_is_documented():
    tree = ast.parse(Path(catalog.config.__file__).read_text(encoding="utf-8"))
    read = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"MULU_[A-Z0-9_]+", node.value)
    }
    assert read == set(DOCUMENTED_NAMES)


# --- the README's settings table ---


def settings_table() -> str:
    """The markdown table the README carries between the settings markers."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, default, meaning in DOCUMENTED:
        shown = default if default.startswith("(") or " " in default else f"`{default}`"
        lines.append(f"| `{name}` | {shown} | {meaning} |")
    return "\n".join(lines)


def table_names(markdown: str) -> list[str]:
    """The first cell of every body row of the markdown table(s) in ``markdown``."""
    rows = [line.strip() for line in markdown.splitlines() if line.strip().startswith("|")]
    names = []
    for row in rows[1:]:  # rows[0] is the header
        first = row.strip("|").split("|")[0].strip()
        if set(first) <= set("-: "):
            continue  # the separator row
        names.append(first.strip("`").strip())
    return names


def test_table_names_parser():
    assert table_names(settings_table()) == DOCUMENTED_NAMES


def test_readme_settings_table_lists_exactly_the_documented_variables():
    if not README.is_file():
        pytest.skip("README.md does not exist yet")
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, f"README.md needs the settings table between {START} and {END}"
    section = text.split(START, 1)[1].split(END, 1)[0]
    names = table_names(section)
    assert sorted(names) == sorted(DOCUMENTED_NAMES) and len(names) == len(set(names)), (
        "README.md's settings table differs from catalog.config.DOCUMENTED; replace it with:\n\n"
        f"{START}\n{settings_table()}\n{END}"
    )
