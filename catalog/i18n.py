"""Translatable messages of the domain core: English msgids, zh_CN (default) and en renderings."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_TRANSLATIONS = Path(__file__).parent / "translations"


def N_(msgid: str) -> str:
    """Mark a string for extraction (``pybabel extract -k N_``) without translating it yet."""
    return msgid


def normalise_locale(locale: str | None) -> str:
    """Map ``zh``, ``zh-CN``, ``en-US``… onto a supported locale; unknown ones get the default."""
    if not locale:
        return DEFAULT_LOCALE
    value = locale.replace("-", "_").lower()
    if value.startswith("en"):
        return "en"
    if value.startswith("zh"):
        return "zh_CN"
    return DEFAULT_LOCALE


@functools.cache
def _catalog(locale: str) -> Mapping[str, str]:
    # One .po file per area of the core (messages.po, departments.po …), merged at load time.
    translations: dict[str, str] = {}
    for path in sorted((_TRANSLATIONS / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=locale)
        translations.update({m.id: m.string for m in po if m.id and m.string and not m.fuzzy})
    return translations


def gettext(msgid: str, locale: str | None = None) -> str:
    """Translate ``msgid`` into ``locale`` (the English msgid is the ``en`` rendering)."""
    locale = normalise_locale(locale)
    if locale == "en":
        return msgid
    return _catalog(locale).get(msgid, msgid)


@dataclass(frozen=True)
class Text:
    """A text given in several languages, as profile labels and vocabulary labels are."""

    values: Mapping[str, str]

    def render(self, locale: str | None = None) -> str:
        locale = normalise_locale(locale)
        short = "zh" if locale == "zh_CN" else "en"
        return self.values.get(short) or self.values.get("zh") or self.values.get("en") or ""

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class Message:
    """A translatable message with named parameters, rendered late in the reader's language.

    Parameters may themselves be :class:`Text` or :class:`Message` values; they are rendered in the
    same language, so "{label} is required" becomes "信息资源名称：必填项" in Chinese.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, locale: str | None = None) -> str:
        rendered = {
            key: value.render(locale) if isinstance(value, Text | Message) else value
            for key, value in self.params.items()
        }
        template = gettext(self.msgid, locale)
        try:
            return template.format(**rendered)
        except (KeyError, IndexError):
            return self.msgid.format(**rendered)

    def __str__(self) -> str:
        return self.render("en")


def message(msgid: str, **params: Any) -> Message:
    """Build a :class:`Message`; the extraction keyword for ``pybabel`` is ``message``."""
    return Message(msgid, params)


def render_all(value: Any, locale: str | None = None) -> Any:
    """Render every Message/Text inside nested dicts and lists (for JSON error bodies)."""
    if isinstance(value, Message | Text):
        return value.render(locale)
    if isinstance(value, Mapping):
        return {key: render_all(item, locale) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_all(item, locale) for item in value]
    return value
