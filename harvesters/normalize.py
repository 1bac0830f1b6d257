"""Pure helpers the harvesters' ``map`` functions share: languages, text, dates, and vocabulary lookups.

Values from remote catalogs come in many spellings. Each helper turns them into what
``ResourceSchema`` accepts, or ``None`` when nothing fits, so the source's defaults can fill in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

_TAGS = re.compile(r"<[^>]+>")
_BLOCKS = re.compile(r"</?(p|br|div|li|ul|ol|h[1-6]|tr)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\n\s*\n+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_URL = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_LIST_TEXT = re.compile(r"^\s*\[(.*)\]\s*$", re.DOTALL)

# Frequencies outside the EU authority table, with the update_cycle code each one means.
# Quirks seen in the wild: Dublin Core collection frequencies (http://purl.org/cld/freq/daily, also
# written as the bare word "daily" or "continual"), SDMX codes (…/code#freq-W) and ISO 8601 repeating
# durations from DCAT-US ("R/P1Y").
_FREQUENCY_WORDS = {
    "continuous": "1", "continual": "1", "realtime": "1", "update_cont": "1",
    "daily": "2", "freq-d": "2", "freq-b": "2", "r/p1d": "2", "p1d": "2",
    "weekly": "3", "freq-w": "3", "r/p1w": "3", "p1w": "3", "p7d": "3",
    "monthly": "4", "freq-m": "4", "r/p1m": "4", "p1m": "4",
    "quarterly": "5", "freq-q": "5", "r/p3m": "5", "p3m": "5",
    "semiannual": "6", "biannual": "6", "annual_2": "6", "freq-s": "6", "r/p6m": "6", "p6m": "6",
    "annual": "7", "yearly": "7", "freq-a": "7", "r/p1y": "7", "p1y": "7",
    "irregular": "8", "irreg": "8", "asneeded": "8", "as_needed": "8",
}
# Access rights that say "open" or "not open" without the EU URI.
_OPEN_WORDS = {"public": "unconditional", "open": "unconditional", "restricted": "conditional",
               "non_public": "not_open", "non-public": "not_open", "private": "not_open"}


def pick_language(values: Iterable[tuple[str, str | None]]) -> str | None:
    """Choose one text among language variants: Chinese first, then English.

    Order: ``zh*``-tagged; untagged text containing Chinese characters; ``en*``-tagged; other
    untagged text; anything else. Quirk: a Chinese portal often leaves its Chinese titles untagged
    and tags only the English translation (``"人口数据", "Population"@en``) — that text is Chinese.

    :param values: ``(text, language tag or None)`` pairs.
    """
    ranked: list[tuple[int, str]] = []
    for text, lang in values:
        if not text or not str(text).strip():
            continue
        tag = (lang or "").lower()
        if tag.startswith("zh"):
            rank = 0
        elif not tag and _CJK.search(text):
            rank = 1
        elif tag.startswith("en"):
            rank = 2
        elif not tag:
            rank = 3
        else:
            rank = 4
        ranked.append((rank, str(text)))
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def plain_text(value: Any, max_length: int | None = None) -> str | None:
    """Text without HTML markup or runs of blanks, cut to ``max_length`` with an ellipsis.

    Quirk: DKAN and many CKAN portals put HTML in descriptions (``<p>Liste et coordonnées…</p>``).
    """
    if value is None:
        return None
    text = str(value)
    if "<" in text and ">" in text:
        text = _TAGS.sub("", _BLOCKS.sub("\n", text))
    text = html.unescape(text)
    text = _LINES.sub("\n\n", "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())).strip()
    if not text:
        return None
    if max_length and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def max_length(profile, path: str, fallback: int | None = None) -> int | None:
    """The profile's ``max_length`` of a field (extensions may tighten it, e.g. 摘要 to 1000)."""
    try:
        return profile.get(path).max_length or fallback
    except (KeyError, AttributeError):
        return fallback


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime, or ``None`` when unreadable.

    Quirk: DKAN answers ``"metadata_created": "mar, 10/12/2019 - 09:23"`` — unreadable, so ``None``.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        if " " in text and "T" not in text:
            text = text.replace(" ", "T", 1)
        dated = _DATE_WITH_OFFSET.match(text)
        if dated:  # XML Schema's date with a zone (gco:Date "2014-01-15+01:00"): midnight there
            text = f"{dated.group(1)}T00:00:00{dated.group(2)}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_DATE_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2})([+-]\d{2}:\d{2})$")


def text_list(value: Any, keep: Callable[[str], bool] | None = None) -> list[str]:
    """A list from a list, or from text such as ``"['xls', 'api']"``, ``"[xls]"`` or ``"a、b,c"``.

    Quirk: Chinese portal exports store format lists as Python list literals in a text column.

    :param keep: says which parts between commas, semicolons and line breaks are one term although
        they hold 、 (a GB/T 21063.4 theme such as ``国土资源、能源``); other parts are split at 、 too.
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value if v not in (None, "")]
    else:
        text = str(value)
        inner = _LIST_TEXT.match(text)
        text = inner.group(1) if inner else text
        items = [item for part in re.split(r"[,，;；\n\r\t]+", text)
                 for item in ([part] if keep is not None and keep(part) else part.split("、"))]
    cleaned = [item.strip().strip("'\"").strip() for item in items]
    return list(dict.fromkeys(item for item in cleaned if item))


def keywords(values: Iterable[str], profile) -> list[str]:
    """Keywords cut to the profile's limits (each at most ``max_length``, at most ``max_occurs``)."""
    try:
        element = profile.get("keywords")
        longest, most = element.max_length or 50, element.max_occurs or 20
    except (KeyError, AttributeError):
        longest, most = 50, 20
    result: list[str] = []
    for value in values:
        text = plain_text(value, longest)
        if text and text not in result:
            result.append(text)
    return result[:most]


def update_cycle(vocab, value: Any) -> str | None:
    """The update_cycle code of a frequency given as an EU URI, another known URI, a word or a label.

    A frequency that is stated but has no cycle of its own (``BIENNIAL``, 每两年) is 其他 (code 9):
    saying "other" is truer than leaving the field to the source's default.
    """
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    scheme = vocab.get("update_cycle")
    for concept in scheme:
        if text in concept.exact_match:
            return concept.code
    word = re.split(r"[/#]", text.rstrip("/"))[-1] if "://" in text else text
    code = _FREQUENCY_WORDS.get(word.lower().replace(" ", "")) or _FREQUENCY_WORDS.get(text.lower())
    if code:
        return code
    concept = scheme.find(text) or scheme.find(word)
    if concept is not None:
        return concept.code
    other = scheme.find("其他")
    return other.code if other is not None else None


def open_attributes(vocab, value: Any) -> dict[str, Any] | None:
    """``{"is_open", "type"}`` from an access-rights URI (EU authority table), a word or a label."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {"is_open": value, "type": "unconditional" if value else "not_open"}
    text = str(value).strip()
    scheme = vocab.get("open_type")
    concept = next((c for c in scheme if text in c.exact_match), None)
    if concept is None:
        word = re.split(r"[/#]", text.rstrip("/"))[-1] if "://" in text else text
        key = _OPEN_WORDS.get(word.lower())
        concept = scheme.by_property("key", key)[0] if key else scheme.find(text)
    if concept is None:
        return None
    return {"is_open": bool(concept.properties.get("open")), "type": concept.properties.get("key")}


def format_of(vocab, values: Iterable[str]) -> dict[str, Any] | None:
    """``{"class", "type"}`` from remote format names (``CSV``, ``XLS``, ``text/csv``, ``api``, ``file``).

    The first name that is a format type wins (its class follows), except that a tabular type
    (电子表格, 数据库) wins over the others: a dataset offered as ``xml, json, xlsx, csv`` or as a PDF
    report beside its CSV is tabular data, which XML, JSON and PDF only encode or describe. Without a
    type, the first name that names a class wins (``api`` → 服务接口, ``file`` → 电子文件).
    """
    scheme = vocab.get("format")
    classes, typed = [], []
    for raw in values:
        text = str(raw or "").strip()
        if not text:
            continue
        if "/" in text and "://" not in text:  # a media type: text/csv, application/vnd.ms-excel
            text = text.split("/")[-1].split(";")[0].removeprefix("vnd.ms-").removeprefix("x-")
            text = {"excel": "xls", "vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}.get(text, text)
        concept = scheme.find(text)
        if concept is None:
            continue
        if concept.broader in TABULAR_CLASSES:
            return {"class": concept.broader, "type": concept.code}
        if concept.broader is not None:
            typed.append(concept)
        else:
            classes.append(concept.code)
    if typed:
        return {"class": typed[0].broader, "type": typed[0].code}
    return {"class": classes[0]} if classes else None


#: The format classes (电子表格, 数据库) that describe a dataset offered in several formats.
TABULAR_CLASSES = frozenset({"2", "3"})


def theme(vocab, values: Iterable[str]) -> str | None:
    """The first value that is a GB/T 21063.4 theme (code or label), or the nearest one's IRI, if any.

    A theme of another scheme counts when a theme concept names it with ``skos:exactMatch`` or
    ``skos:closeMatch``: DCAT-AP catalogs give EU data themes (``…/data-theme/ENVI`` → 城乡建设、环境保护).
    """
    scheme = vocab.get("theme")
    for value in values:
        text = str(value or "").strip()
        concept = scheme.find(text)
        if concept is None and "://" in text:
            concept = next((c for c in scheme if text in c.exact_match or text in c.close_match), None)
        if concept is not None:
            return concept.code
    return None


def url_or_none(value: Any, max_len: int = 2000) -> str | None:
    """A usable http(s)/ftp URL, or ``None`` (relative links, ``mailto:`` and blanks are dropped)."""
    text = str(value or "").strip()
    return text if text and len(text) <= max_len and _URL.match(text) else None


def distribution(profile, *, title: Any = None, url: Any = None, media_type: Any = None, description: Any = None,
                 kind: str = "link") -> dict[str, Any] | None:
    """One distribution row within the profile's limits, or ``None`` when it has neither title nor URL."""
    row = {
        "kind": kind,
        "title": plain_text(title, max_length(profile, "distributions.title", 300)),
        "url": url_or_none(url, max_length(profile, "distributions.url", 2000) or 2000),
        "media_type": plain_text(media_type, max_length(profile, "distributions.media_type", 100)),
        "description": plain_text(description, max_length(profile, "distributions.description", 1000)),
    }
    if not row["title"] and not row["url"]:
        return None
    return {key: value for key, value in row.items() if value is not None}
