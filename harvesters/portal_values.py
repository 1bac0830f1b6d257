"""Values of Chinese portal exports read as resource fields: placeholders, terms, themes, formats, counts, dates.

Portal exports seen in the wild write a cell in many ways: GB/T 21063.4 themes and GB/T 4754 industry
names that hold 、 (``农业、水利``, ``A.农、林、牧、渔业``), which a list cell must not split; themes written
with blanks (``气象 水文 测绘 地震``); placeholders such as 暂无; dates such as ``2022-6-27``; counts such as
``1.2万``; format labels such as ``DB数据库``; one-item lists where a table has a cell.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from harvesters import normalize as n

#: The sections (门类) of GB/T 4754-2017, which portals tag datasets with (行业, 所属行业), sometimes with
#: their letter (``A.农、林、牧、渔业``). Several names hold 、, so a list cell must not be split there.
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业",
    "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育", "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织", "T": "国际组织",
}
#: Cells that say "nothing here" (暂无: none yet); they are left out like empty cells, not taken for a
#: keyword, an update cycle (其他) or a code.
PLACEHOLDERS = frozenset({"暂无", "暂无数据", "无数据", "-", "--", "—", "/", "null", "none", "nan", "n/a", "未知"})
_SECTION = re.compile(r"^([A-T])\s*[.．、]\s*(.+)$")
_BLANKS = re.compile(r"[\s,，/／]+")
_SCRIPTS = re.compile(r"[A-Za-z][A-Za-z0-9+#.\- ]*|[\u3400-\u9fff]+")
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(.*)$")
_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*(万|亿)?\s*(条|行|项|个|records?|rows?)?$", re.IGNORECASE)


def cell_text(value: Any) -> str:
    # A JSON export may hold a one-item list where a table has a cell (["市统计局"]).
    if isinstance(value, list):
        return "、".join(str(item).strip() for item in value if not is_blank(item))
    return str(value).strip()


def is_blank(value: Any) -> bool:
    """Whether a cell says nothing: empty, only blanks, an empty list, or a placeholder such as 暂无."""
    if value is None:
        return True
    if isinstance(value, list):
        return all(is_blank(item) for item in value)
    if isinstance(value, bool):
        return False
    text = str(value).strip()
    return not text or text.lower() in PLACEHOLDERS


def _section(text: str) -> str:
    """``A.农、林、牧、渔业`` → ``农、林、牧、渔业``: the GB/T 4754 letter says no more than the name."""
    found = _SECTION.match(text)
    return found.group(2).strip() if found and found.group(2).strip() in INDUSTRY_SECTIONS.values() else text


def theme_of(vocab, value: Any) -> str | None:
    """The GB/T 21063.4 theme code a portal's category names, if it names one.

    Quirk: some portals write the label with blanks or commas for 、 (``气象 水文 测绘 地震``).
    """
    text = str(value or "").strip()
    if not text:
        return None
    return n.theme(vocab, [text, _BLANKS.sub("、", text)])


def _whole_term(vocab, text: str) -> bool:
    text = text.strip().strip("'\"")
    return _section(text) in INDUSTRY_SECTIONS.values() or theme_of(vocab, text) is not None


def terms(vocab, value: Any) -> list[str]:
    """The items of a portal's tag, category or industry cell.

    Items are split at commas, semicolons, line breaks and tabs, and at 、 except inside a GB/T
    21063.4 theme label or a GB/T 4754 industry name (``国土资源、能源``, ``公共管理、社会保障和社会组织``):
    those are one term. Industry letters are dropped (``N.水利、环境和公共设施管理业``); placeholders
    (暂无) are left out. Nested lists are flattened.

    :param vocab: the vocabularies (the theme scheme says which labels are whole terms).
    :param value: text, a list literal written as text, or a (nested) list.
    """
    if isinstance(value, list):
        return list(dict.fromkeys(item for part in value for item in terms(vocab, part)))
    items = n.text_list(value, keep=lambda part: _whole_term(vocab, part))
    return list(dict.fromkeys(_section(item) for item in items if not is_blank(item)))


def format_of(vocab, value: Any) -> dict[str, Any] | None:
    """``{"class", "type"}`` of a portal's format cell (a name, a list, or a list written as text).

    Quirk: labels that join an abbreviation and a Chinese word (``DB数据库``) are also tried part by part.
    """
    names: list[str] = []
    for name in terms(vocab, value):
        parts = _SCRIPTS.findall(name)
        names += [name, *(part.strip() for part in parts)] if len(parts) > 1 else [name]
    return n.format_of(vocab, names)


def record_count(value: Any) -> Any:
    """A record count from ``469,585``, ``1.2万``, ``12条`` or a number; other text is returned as it is,
    so that validation names the field and says it must be a whole number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    text = re.sub(r"[,，\s]", "", cell_text(value))
    found = _COUNT.match(text)
    if not found:
        return cell_text(value)
    number = float(found.group(1)) * {"万": 10_000, "亿": 100_000_000}.get(found.group(2) or "", 1)
    return int(number) if number.is_integer() else cell_text(value)


def portal_datetime(value: Any) -> datetime | None:
    """A date or datetime as portals write it (``2022-6-27``, ``2022/06/27 10:00``, ``2022年6月27日``),
    else ISO 8601; ``None`` when unreadable."""
    if is_blank(value):
        return None
    text = cell_text(value)
    found = _DAY.match(text)
    if found:
        year, month, day, rest = found.groups()
        rest = rest.strip().lstrip("Tt").strip()
        text = f"{year}-{int(month):02d}-{int(day):02d}" + (f"T{rest}" if rest else "")
    return n.parse_datetime(text)
