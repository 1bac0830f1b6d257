"""Every message of the harvesters has a zh_CN rendering that keeps its placeholders."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from tests.test_translations import placeholders, translations

ROOT = Path(__file__).resolve().parents[2]


def test_every_harvester_msgid_has_a_zh_cn_translation():
    known = translations()
    missing, wrong = [], []
    for path in sorted((ROOT / "harvesters").rglob("*.py")):
        for lineno, msgid, _comments, _context in extract_from_file("python", str(path),
                                                                    keywords={"message": None, "Message": None}):
            if not isinstance(msgid, str) or not msgid:
                continue
            where = f"{path.relative_to(ROOT)}:{lineno}"
            if msgid not in known:
                missing.append(f"{where}: {msgid!r}")
            elif placeholders(msgid) != placeholders(known[msgid][0]):
                wrong.append(f"{where}: {msgid!r}")
    assert not missing, "add to catalog/translations/zh_CN/LC_MESSAGES/harvest.po:\n" + "\n".join(missing)
    assert not wrong, "\n".join(wrong)
