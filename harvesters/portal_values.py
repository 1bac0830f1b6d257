"""Values of Chinese portal exports read as resource fields: placeholders, terms, themes, formats, counts, dates.

Portal exports seen in the wild write a cell in many ways: GB/T 21063.4 themes and GB/T 4754 industry
names that hold 、 (``农业、水利``, ``A.农、林、牧、渔业``), which a list cell must not split; themes written
with blanks (``气象 水文 测绘 地震``) or abridged (``农业``, ``文化、体育``); placeholders such as 暂无 and 无,
and 其他 as a category; dates such as ``2022-6-27``; counts such as ``1.2万`` (and 0 for "not counted");
format labels such as ``DB数据库`` or ``http``; share terms (无条件共享) in an open-type column; text holding
the two characters ``\\n`` where a line break was meant; one-item lists where a table has a cell.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from catalog.template_cells import PLACEHOLDERS
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
#: Category, tag and industry cells that name no subject (其他: "other"): no keyword, no theme. Not placeholders
#: everywhere: 其他 is a true update cycle and format class.
VAGUE_TERMS = frozenset({"其他", "其它"})
#: Format cells that name a web service, not a file type (内江 lists its 接口服务 as ``http``).
_SERVICE_WORDS = frozenset({"http", "https", "webservice", "restful", "rest", "soap"})
#: The open type meant by a share type written in an open-type column (淮北: 开放条件 "无条件共享").
_SHARE_TO_OPEN = {"unconditional": "unconditional", "conditional": "conditional", "not_shared": "not_open"}
_SECTION = re.compile(r"^([A-T])\s*[.．、]\s*(.+)$")
_BLANKS = re.compile(r"[\s,，/／]+")
_SCRIPTS = re.compile(r"[A-Za-z][A-Za-z0-9+#.\- ]*|[\u3400-\u9fff]+")
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(.*)$")
# Quoted or bracketed spans (“喜迎二十大、永远跟党走”, （2016年，按行业分）) are one term: their 、 and commas
# do not separate items. Unclosed ones are not spans, so a stray bracket cannot swallow a cell.
_PAIRED = re.compile(r"“[^”]*”|‘[^’]*’|《[^》]*》|（[^）]*）|\([^)]*\)|【[^】]*】|「[^」]*」")
_SHIELDED = {"、": "\ue000", ",": "\ue001", "，": "\ue002", ";": "\ue003", "；": "\ue004"}
_SHIELD, _UNSHIELD = str.maketrans(_SHIELDED), str.maketrans({v: k for k, v in _SHIELDED.items()})
_ESCAPES = re.compile(r"\\r\\n|\\n|\\r|\\t")
_CYCLE_WORDING = re.compile(r"^(?:按|每)?(.+?)(?:更新|一次)?$")
_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*(万|亿)?\s*(条|行|项|个|records?|rows?)?$", re.IGNORECASE)


def cell_text(value: Any) -> str:
    # A JSON export may hold a one-item list where a table has a cell (["市统计局"]).
    if isinstance(value, list):
        return "、".join(str(item).strip() for item in value if not is_blank(item))
    return str(value).strip()


def portal_text(value: Any) -> str:
    """A title or description cell as text, with line breaks and tabs written as ``\\n`` / ``\\t`` restored.

    Quirk: 芜湖's export (and its API) writes ``邮政局所情况_1995\\n年份,汽车邮路…``: the two characters
    backslash and n, escaped once too often, which would show as such in the catalog.
    """
    return _ESCAPES.sub(lambda found: {"\\t": "\t"}.get(found.group(), "\n"), cell_text(value))


def is_blank(value: Any) -> bool:
    """Whether a cell says nothing: empty, only blanks, an empty list, or a placeholder such as 暂无."""
    if value is None:
        return True
    if isinstance(value, list):
        return all(is_blank(item) for item in value)
    if isinstance(value, bool):
        return False
    text = str(value).strip()
    # Left out like empty cells, not taken for a keyword, an update cycle (其他) or a code.
    return not text or text.casefold() in PLACEHOLDERS


def _section(text: str) -> str:
    """``A.农、林、牧、渔业`` → ``农、林、牧、渔业``: the GB/T 4754 letter says no more than the name."""
    found = _SECTION.match(text)
    return found.group(2).strip() if found and found.group(2).strip() in INDUSTRY_SECTIONS.values() else text


def theme_of(vocab, value: Any, abridged: bool = True) -> str | None:
    """The GB/T 21063.4 theme code a portal's category names, if it names one.

    Quirks: some portals write the label with blanks or commas for 、 (``气象 水文 测绘 地震``); many name
    part of a label (宿州's 农业, 教育; 银川's 文化、体育), which names the theme holding every part
    (农业、水利; 科技、教育; 文化、卫生、体育) when exactly one does.

    :param abridged: also read part of a label; ``False``: the label (or code) itself only.
    """
    text = str(value or "").strip()
    if not text:
        return None
    code = n.theme(vocab, [text, _BLANKS.sub("、", text)])
    return code or (_abridged_theme(vocab, _BLANKS.sub("、", text)) if abridged else None)


def _abridged_theme(vocab, text: str) -> str | None:
    """The one theme whose label has every 、-part of ``text`` among its words, each part written as one
    word or several run together (滁州's 农业水利, 教育科技): 农业 → 农业、水利; 工业农业 names none."""
    parts = [part.strip() for part in text.split("、") if part.strip()]
    codes = set()
    for concept in vocab.get("theme"):
        for label in (concept.labels.get("zh"), *concept.alt_labels):
            words = frozenset(word.strip() for word in (label or "").split("、") if word.strip())
            if parts and all(_made_of(part, words) for part in parts):
                codes.add(concept.code)
    return codes.pop() if len(codes) == 1 else None


def _made_of(text: str, words: frozenset[str]) -> bool:
    return text in words or any(text.startswith(word) and _made_of(text[len(word):], words) for word in words)


def _whole_term(vocab, text: str) -> bool:
    text = text.strip().strip("'\"")
    return _section(text) in INDUSTRY_SECTIONS.values() or theme_of(vocab, text) is not None


def terms(vocab, value: Any) -> list[str]:
    """The items of a portal's tag, category or industry cell.

    Items are split at commas, semicolons, line breaks and tabs, and at 、 except inside a GB/T
    21063.4 theme label or a GB/T 4754 industry name (``国土资源、能源``, ``公共管理、社会保障和社会组织``):
    those are one term; nothing is split inside quotes or brackets (``“喜迎二十大、永远跟党走”主题征文``,
    滁州's keyword cells, which repeat the title). Industry letters are dropped
    (``N.水利、环境和公共设施管理业``); placeholders (暂无) are left out. Nested lists are flattened.

    :param vocab: the vocabularies (the theme scheme says which labels are whole terms).
    :param value: text, a list literal written as text, or a (nested) list.
    """
    if isinstance(value, list):
        return list(dict.fromkeys(item for part in value for item in terms(vocab, part)))
    if isinstance(value, str):
        value = _PAIRED.sub(lambda span: span.group().translate(_SHIELD), value)
    items = [item.translate(_UNSHIELD) for item in n.text_list(value, keep=lambda part: _whole_term(vocab, part))]
    return list(dict.fromkeys(_section(item) for item in items if not is_blank(item)))


def subject_terms(vocab, value: Any) -> list[str]:
    """The items of a tag, category or industry cell that say what a resource is about (:func:`terms`
    without 其他)."""
    return [item for item in terms(vocab, value) if item not in VAGUE_TERMS]


def format_of(vocab, value: Any) -> dict[str, Any] | None:
    """``{"class", "type"}`` of a portal's format cell (a name, a list, or a list written as text).

    Quirks: labels that join an abbreviation and a Chinese word (``DB数据库``) are also tried part by part;
    ``http`` (and ``webservice``, ``restful``…) names a service interface.
    """
    names: list[str] = []
    for name in terms(vocab, value):
        parts = _SCRIPTS.findall(name)
        names += [name, *(part.strip() for part in parts)] if len(parts) > 1 else [name]
        if name.lower() in _SERVICE_WORDS:
            names.append("接口")
    return n.format_of(vocab, names)


def cycle_of(vocab, value: Any) -> str | None:
    """The update_cycle code of a portal's frequency cell (:func:`harvesters.normalize.update_cycle`).

    Quirk: 淮北 writes 按年更新 ("updated by the year"), a wording of no code list: its core (年) is
    read before the cell falls back to 其他; a frequency of no cycle (每两年) is still 其他.
    """
    text = cell_text(value)
    code = n.update_cycle(vocab, text)
    other = vocab.get("update_cycle").find("其他")
    if code and other is not None and code == other.code and text not in (other.labels.get("zh"), *other.alt_labels):
        core = _CYCLE_WORDING.match(text)
        found = n.update_cycle(vocab, core.group(1)) if core else None
        return found or code
    return code


def open_of(vocab, value: Any) -> dict[str, Any] | None:
    """``{"is_open", "type"}`` of a portal's open-type cell (a label, a word, a URI or a boolean).

    Quirk: 淮北's 开放条件 says 无条件共享 (the share type's word) for what its other rows call
    无条件开放; in a column about opening, a share type means the open type of the same condition.
    """
    found = n.open_attributes(vocab, value if isinstance(value, bool) else cell_text(value))
    if found is not None or isinstance(value, bool):
        return found
    share = vocab.get("share_type").find(cell_text(value))
    key = _SHARE_TO_OPEN.get(share.properties.get("key")) if share is not None else None
    concepts = vocab.get("open_type").by_property("key", key) if key else []
    return {"is_open": bool(concepts[0].properties.get("open")), "type": key} if concepts else None


def record_count(value: Any) -> Any:
    """A record count from ``469,585``, ``1.2万``, ``12条`` or a number; other text is returned as it is,
    so that validation names the field and says it must be a whole number.

    Quirk: portals write 0 for what they do not count (黄山's documents, 内江's 接口服务): ``None``, not
    a claim that the resource is empty.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value == 0:
            return None
        return int(value) if float(value).is_integer() else value
    text = re.sub(r"[,，\s]", "", cell_text(value))
    found = _COUNT.match(text)
    if not found:
        return cell_text(value)
    number = float(found.group(1)) * {"万": 10_000, "亿": 100_000_000}.get(found.group(2) or "", 1)
    if number == 0:
        return None
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
