"""Translations of the portal for Flask-Babel: the web and core .po files, compiled in memory at startup.

We ship .po files only (no .mo build step that ``pip install -e .`` would have to run): Babel's
``read_po`` reads them and ``write_mo`` compiles them into memory once per locale. The web's own
msgids win over the core's, so a template may reuse any core message (field labels, errors).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import has_request_context, request, session
from flask_babel import Babel, Domain, get_locale
from werkzeug.utils import cached_property

import catalog
from catalog.i18n import DEFAULT_LOCALE, LOCALES, normalise_locale

WEB_TRANSLATIONS = Path(__file__).parent / "translations"
CORE_TRANSLATIONS = Path(catalog.__file__).parent / "translations"
# Languages offered by the switch, in the order shown, with their names written in themselves.
LANGUAGES = {"zh_CN": "中文", "en": "English"}
SESSION_KEY = "lang"


@functools.cache
def translations_for(locale: str) -> Translations:
    """Every message of ``locale`` (core first, then the web's, which win), as a gettext object."""
    merged = Catalog(locale=locale)
    for directory in (CORE_TRANSLATIONS, WEB_TRANSLATIONS):
        for path in sorted((directory / locale / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as handle:
                for msg in read_po(handle, locale=locale):
                    if msg.id and msg.string and not msg.fuzzy:
                        merged[msg.id] = msg
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(fp=buffer)


class PoDomain(Domain):
    """A Flask-Babel domain whose translations come from :func:`translations_for`, not from .mo files."""

    def get_translations(self):
        locale = str(get_locale() or DEFAULT_LOCALE)
        if locale == "en":
            return Translations()  # English msgids are the English rendering
        return translations_for(normalise_locale(locale))


def select_locale() -> str:
    """The request's language: ``?lang=`` (remembered in the session), the session, then Accept-Language."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = request.args.get("lang")
    if chosen:
        return normalise_locale(chosen)
    if session.get(SESSION_KEY) in LOCALES:
        return session[SESSION_KEY]
    best = request.accept_languages.best_match(["zh_CN", "zh", "zh-CN", "zh-TW", "en", "en-US", "en-GB"])
    return normalise_locale(best) if best else DEFAULT_LOCALE


def current_locale() -> str:
    """``zh_CN`` or ``en``: what catalog Messages and Text values are rendered in."""
    return normalise_locale(str(get_locale() or DEFAULT_LOCALE))


class PortalBabel(Babel):
    """Flask-Babel with :class:`PoDomain` as its domain (Babel has no setting for a domain object)."""

    @cached_property
    def domain_instance(self):
        return PoDomain()
