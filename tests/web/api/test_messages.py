"""Every user-facing text of the API, its docs page and the token page has a zh_CN rendering keeping its placeholders.

Python sources are read as ``pybabel extract -k _ -k _l`` reads them, templates with Jinja's extractor.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from web.i18n import translations_for

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted((ROOT / "web" / "api").glob("*.py"))
TEMPLATES = [ROOT / "web" / "templates" / "api" / "docs.html", ROOT / "web" / "templates" / "accounts" / "tokens.html"]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted() -> dict[str, str]:
    """``{msgid: "file:line"}`` of every literal msgid."""
    found: dict[str, str] = {}
    for path in SOURCES:
        for lineno, msgid, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            if isinstance(msgid, str) and msgid:
                found.setdefault(msgid, f"{path.relative_to(ROOT)}:{lineno}")
    for path in TEMPLATES:
        with path.open("rb") as handle:
            for lineno, _function, msgid, _comments in babel_extract(handle, ("_", "gettext"), [], {}):
                msgid = msgid[0] if isinstance(msgid, tuple) else msgid
                if isinstance(msgid, str) and msgid:
                    found.setdefault(msgid, f"{path.relative_to(ROOT)}:{lineno}")
    return found


def test_extraction_finds_the_api_texts():
    found = extracted()
    for msgid in ("Search resources", "There is no such resource or address.", "API tokens",
                  "Your new token “%(name)s”:", "Getting started: register a resource with curl"):
        assert msgid in found, msgid


def test_every_msgid_has_a_zh_cn_translation_with_the_same_placeholders():
    translations = translations_for("zh_CN")
    missing, wrong = [], []
    for msgid, where in extracted().items():
        text = translations.gettext(msgid)
        if text == msgid:
            missing.append(f"{where}: {msgid!r}")
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid)):
            wrong.append(f"{where}: {msgid!r} → {text!r}")
    assert not missing, "add to web/translations/zh_CN/LC_MESSAGES/api.po:\n" + "\n".join(missing)
    assert not wrong, "\n".join(wrong)


def test_api_po_repeats_no_msgid_of_the_other_web_po_files():
    directory = ROOT / "web" / "translations" / "zh_CN" / "LC_MESSAGES"
    others = set()
    for path in directory.glob("*.po"):
        if path.name != "api.po":
            with path.open("rb") as handle:
                others |= {entry.id for entry in read_po(handle, locale="zh_CN") if entry.id}
    with (directory / "api.po").open("rb") as handle:
        repeated = [entry.id for entry in read_po(handle, locale="zh_CN") if entry.id in others]
    assert not repeated, f"already translated in another web .po file: {repeated}"
