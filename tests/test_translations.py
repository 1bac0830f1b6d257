"""Every user-facing message of the domain core has a zh_CN rendering that keeps its placeholders.

The msgids are found the way ``pybabel extract`` finds them, so a new ``message("…")`` without a
translation in ``catalog/translations/zh_CN/LC_MESSAGES/*.po`` fails here with its file and line.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from catalog.i18n import Message, Text, message

ROOT = Path(__file__).resolve().parents[1]
# Harvesters build their messages with catalog.i18n too, and their zh_CN renderings live in the same place.
SOURCES = [*sorted((ROOT / "catalog").rglob("*.py")), *sorted((ROOT / "harvesters").rglob("*.py")), ROOT / "cli.py"]
PO_DIR = ROOT / "catalog" / "translations" / "zh_CN" / "LC_MESSAGES"

# The keywords of ``pybabel extract -k message -k Message -k N_ -k gettext``, plus two helpers that wrap
# their msgid argument in a Message: ``_fail(msgid, …)`` (catalog/schemas/resource.py) and
# ``_add(errors, path, msgid, …)`` (catalog/rules.py); without them their messages would go unchecked.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "message": None,
    "Message": None,
    "N_": None,
    "gettext": None,
    "_fail": None,
    "_add": (3,),
}


def _where(path: Path, lineno: int) -> str:
    return f"{path.relative_to(ROOT)}:{lineno}"


def extracted() -> dict[str, list[str]]:
    """``{msgid: ["file:line", …]}`` of every literal msgid; calls with a variable msgid are skipped."""
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        for lineno, msgid, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            if isinstance(msgid, str) and msgid:
                found.setdefault(msgid, []).append(_where(path, lineno))
    return found


def translations() -> dict[str, tuple[str, str]]:
    """``{msgid: (zh_CN text, po file name)}`` merged over every .po file, as catalog.i18n merges them."""
    merged: dict[str, tuple[str, str]] = {}
    for path in sorted(PO_DIR.glob("*.po")):
        with path.open("rb") as handle:
            for entry in read_po(handle, locale="zh_CN"):
                if entry.id and entry.string and not entry.fuzzy:
                    merged[entry.id] = (entry.string, path.name)
    return merged


def placeholders(text: str) -> set[str]:
    """The ``{…}`` fields of a format string, spelled as written (``{value!r}``, ``{count:>3}``)."""
    fields = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields.add("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return fields


def msgid_arguments(tree: ast.AST) -> Iterator[tuple[int, ast.expr]]:
    """The msgid argument of every call to an extraction keyword (by position, as Babel reads it)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in KEYWORDS:
            continue
        position = (KEYWORDS[name] or (1,))[0] - 1
        if len(node.args) > position:
            yield node.lineno, node.args[position]


def test_extraction_finds_the_core_messages():
    found = extracted()
    # a literal msgid, a Message(...) one, an N_ one, a helper's one and the permission actions
    for msgid in (
        "You are not allowed to {action}.",
        "{label}: this field is required.",
        "{label}: must be a whole number.",
        "{label}: must be 6 digits (GB/T 2260), e.g. 340400.",
        "{label}: required for this format class.",
        "manage users",
    ):
        assert msgid in found, msgid


def test_every_msgid_has_a_zh_cn_translation():
    known = translations()
    missing = [f"{places[0]}: {msgid!r}" for msgid, places in extracted().items() if msgid not in known]
    assert not missing, "msgids without a zh_CN translation in {}:\n{}".format(
        PO_DIR.relative_to(ROOT), "\n".join(sorted(missing))
    )


def test_translations_keep_the_placeholders():
    wrong = [
        f"{po}: {msgid!r} has {sorted(placeholders(msgid))}, {text!r} has {sorted(placeholders(text))}"
        for msgid, (text, po) in translations().items()
        if placeholders(msgid) != placeholders(text)
    ]
    assert not wrong, "\n".join(wrong)


def test_po_files_do_not_repeat_a_msgid():
    seen: dict[str, str] = {}
    repeated = []
    for path in sorted(PO_DIR.glob("*.po")):
        with path.open("rb") as handle:
            for entry in read_po(handle, locale="zh_CN"):
                if entry.id and entry.id in seen:
                    repeated.append(f"{entry.id!r} in {seen[entry.id]} and {path.name}")
                elif entry.id:
                    seen[entry.id] = path.name
    assert not repeated, "\n".join(repeated)


def test_msgids_are_plain_literals():
    """An f-string, ``"…".format()`` or ``"a" + b`` msgid is never the key that reaches gettext."""
    bad = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, argument in msgid_arguments(tree):
            if isinstance(argument, ast.Constant | ast.Name | ast.Attribute | ast.Subscript):
                continue  # a literal, or a variable holding a msgid marked elsewhere (skipped by Babel)
            if any(isinstance(n, ast.JoinedStr) or isinstance(n, ast.Constant) and isinstance(n.value, str)
                   for n in ast.walk(argument)):
                bad.append(f"{_where(path, lineno)}: {ast.unparse(argument)}")
    assert not bad, "msgids must be plain string literals:\n" + "\n".join(bad)


# Functions taking a ``msgid`` whose callers mark their strings with N_() instead of being keywords.
MSGID_TAKERS_FED_BY_N_ = {("catalog/schemas/department.py", "__init__")}


def test_helpers_taking_a_msgid_are_extraction_keywords():
    """A new ``def helper(msgid, …)`` hides its callers' strings from extraction unless it is a keyword."""
    unknown = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            where = str(path.relative_to(ROOT))
            if "msgid" in names and node.name not in KEYWORDS and (where, node.name) not in MSGID_TAKERS_FED_BY_N_:
                unknown.append(f"{where}:{node.lineno}: {node.name}()")
    assert not unknown, (
        "add these to KEYWORDS (and to the pybabel -k options), or mark their callers' strings with N_():\n"
        + "\n".join(unknown)
    )


# -- end to end ------------------------------------------------------------------------------------

TITLE = Text({"zh": "信息资源名称", "en": "Title"})


@pytest.mark.parametrize(
    ("built", "zh", "en"),
    [
        (message("{label}: this field is required.", label=TITLE), "信息资源名称：必填项。", "Title: this field is required."),
        (
            message("You are not allowed to {action}.", action=message("manage users")),
            "您无权管理用户。",
            "You are not allowed to manage users.",
        ),
        (
            message("You are not allowed to {action}.", action=message("edit this resource")),
            "您无权编辑该信息资源。",
            "You are not allowed to edit this resource.",
        ),
        (message("Resource {id} was not found.", id=42), "未找到信息资源 42。", "Resource 42 was not found."),
        (
            Message("{label}: must be a whole number.", {"label": TITLE}),
            "信息资源名称：应为整数。",
            "Title: must be a whole number.",
        ),
    ],
)
def test_messages_render_in_both_languages(built, zh, en):
    assert built.render("zh_CN") == zh
    assert built.render("zh") == zh
    assert built.render("en") == en
    assert str(built) == en
