"""Translations of the web interface: the portal's own .po files, falling back to the domain core's messages."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from babel.messages.pofile import read_po

from catalog.i18n import gettext as core_gettext
from catalog.i18n import normalise_locale

_TRANSLATIONS = Path(__file__).parent / "translations"


@functools.cache
def _catalog(locale: str) -> Mapping[str, str]:
    translations: dict[str, str] = {}
    for path in sorted((_TRANSLATIONS / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=locale)
        translations.update({m.id: m.string for m in po if m.id and m.string and not m.fuzzy})
    return translations


def gettext(msgid: str, locale: str | None = None) -> str:
    """Translate a string of the web interface into ``locale`` (English msgids are the ``en`` rendering).

    :param msgid: the English text, as written in the templates (``{{ _("…") }}``).
    :param locale: ``zh_CN``, ``en`` or anything :func:`catalog.i18n.normalise_locale` maps onto them.
    :returns: the translation, the core's translation of the same msgid, or the msgid itself.
    """
    locale = normalise_locale(locale)
    if locale == "en":
        return msgid
    return _catalog(locale).get(msgid) or core_gettext(msgid, locale)
