"""CKAN search parameters (``fq``, ``sort``, ``facet.field``, ``rows``) in the search contract's terms.

Translated into the backend-neutral :class:`~catalog.search.SearchQuery` vocabulary (facet names,
sort names), never into engine syntax; anything outside the documented subset is a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from catalog.ckan.mapping import bilingual
from catalog.errors import ValidationError
from catalog.search.documents import FACETS, SORTS

ROWS_DEFAULT = 10
ROWS_MAX = 1000  # CKAN's default ckan.search.rows_max: more rows are silently capped, as CKAN does
DEFAULT_SORT = "score desc, metadata_modified desc"
MAX_FQ = 4000  # characters of fq (and fq_list, joined) read at all
MAX_CLAUSES = 50
# CKAN field names accepted in fq and facet.field for our facets.
ALIASES = {"organization": "department", "groups": "classification"}
# fq clauses CKAN clients add to every search that hold for every package Mulu lists: accepted, ignored.
NO_OPS = {("dataset_type", "dataset"), ("type", "dataset"), ("capacity", "public"), ("state", "active")}
# CKAN sort clauses → our sort names. Only the first clause counts: ours are total orders already.
SORT_CLAUSES = {
    "score desc": "relevance",
    "metadata_modified desc": "updated",
    "title_string asc": "title",
    "title asc": "title",
    # Names are resource codes, which no backend sorts by; title order is the stable order paging needs.
    "name asc": "title",
    "id asc": "title",
}

def _invalid(name: str, zh: str, en: str) -> ValidationError:
    return ValidationError({name: [bilingual(zh, en)]}, bilingual("请求参数无效。", "The request is not valid."))


# -- search parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModifiedRange:
    """A ``metadata_modified:[from TO to]`` range; ``None`` ends are open."""

    start: datetime | None = None
    end: datetime | None = None
    include_start: bool = True
    include_end: bool = True

    def __contains__(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if self.start is not None and (moment < self.start or (moment == self.start and not self.include_start)):
            return False
        return self.end is None or moment < self.end or (moment == self.end and self.include_end)

    def after(self, moment: datetime | None) -> bool:
        """Whether ``moment`` lies past the end (newer than anything in the range)."""
        if moment is None or self.end is None:
            return False
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment > self.end or (moment == self.end and not self.include_end)

    def before(self, moment: datetime | None) -> bool:
        """Whether ``moment`` lies before the start (older than anything in the range)."""
        if moment is None:
            return True
        if self.start is None:
            return False
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment < self.start or (moment == self.start and not self.include_start)


@dataclass(frozen=True)
class FilterQuery:
    """What an ``fq`` asks for: facet filters (field → values, any of them) and a ``metadata_modified`` range."""

    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    modified: ModifiedRange | None = None


_CLAUSE = re.compile(r"""
    \s*(?:
        (?P<op>AND|OR|NOT|&&|\|\|)(?=\s|$)
      | (?P<sign>[+-]?)(?P<field>[A-Za-z_][A-Za-z0-9_.]*):
        (?P<value>
            "(?:[^"\\]|\\.)*"
          | \((?:[^()"\\]|\\.|"(?:[^"\\]|\\.)*")*\)
          | [\[{][^\]}]*[\]}]
          | (?:[^\s()"\\\[\]{}]|\\.)+
        )
    )""", re.X)
_GROUP_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"|((?:[^\s"\\]|\\.)+)')
_RANGE = re.compile(r"([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])")
_NOW = re.compile(r"NOW(?:([+-])(\d{1,6})(DAYS?|HOURS?|MINUTES?))?", re.I)
_UNESCAPE = re.compile(r"\\(.)", re.S)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def _values(raw: str) -> list[str]:
    if raw.startswith('"'):
        return [_unescape(raw[1:-1])]
    if raw.startswith("("):
        values = []
        for quoted, bare in _GROUP_VALUE.findall(raw[1:-1]):
            if not quoted and bare in ("OR", "||"):
                continue
            if not quoted and bare in ("AND", "&&", "NOT"):
                raise _invalid("fq", "fq 的括号内只支持 OR。", "fq: only OR is supported inside parentheses.")
            values.append(_unescape(quoted) if quoted else _bare(bare))
        if not values:
            raise _invalid("fq", "fq 的括号内没有值。", "fq: no value inside the parentheses.")
        return values
    return [_bare(raw)]


def _bare(raw: str) -> str:
    if re.search(r"(?<!\\)[*?]", raw):
        raise _invalid("fq", "fq 不支持通配符 * 和 ?。", "fq: wildcards (* and ?) are not supported.")
    return _unescape(raw)


def _instant(text: str, now: datetime) -> datetime | None:
    if text == "*":
        return None
    found = _NOW.fullmatch(text)
    if found:
        if not found.group(1):
            return now
        unit = found.group(3).upper().rstrip("S")
        delta = timedelta(**{{"DAY": "days", "HOUR": "hours", "MINUTE": "minutes"}[unit]: int(found.group(2))})
        return now + delta if found.group(1) == "+" else now - delta
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid("fq", f"fq 中的时间“{text[:40]}”无法识别；请用 ISO 8601，如 2024-01-01T00:00:00Z。",
                       f"fq: cannot read the time {text[:40]!r}; use ISO 8601, e.g. 2024-01-01T00:00:00Z.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _range(raw: str, now: datetime) -> ModifiedRange:
    found = _RANGE.fullmatch(raw)
    if not found:
        raise _invalid("fq", "metadata_modified 只支持区间，如 [2024-01-01T00:00:00Z TO *]。",
                       "fq: metadata_modified takes a range, e.g. [2024-01-01T00:00:00Z TO *].")
    return ModifiedRange(_instant(found.group(2), now), _instant(found.group(3), now),
                         found.group(1) == "[", found.group(4) == "]")


def parse_fq(text: str, allowed: Iterable[str], *, organizations: Mapping[str, str] | None = None,
             now: datetime | None = None) -> FilterQuery:
    """Read CKAN's ``fq`` (Solr filter syntax) as facet filters on our fields.

    Understood: ``field:value``, ``field:"quoted value"``, ``field:(a OR "b c")``, a leading ``+`` and
    ``AND`` between clauses; ``organization`` and ``groups`` for ``department`` and ``classification``;
    ``metadata_modified:[2024-01-01T00:00:00Z TO *]`` (``*``, ``NOW``, ``NOW-7DAYS``, ``{…}`` exclusive);
    and the clauses of :data:`NO_OPS`. Several values of one field are alternatives (OR).

    :param allowed: our facet field names the caller may filter on.
    :param organizations: CKAN organization name → department key (names that differ from keys).
    :param now: the time ``NOW`` stands for (the current time when omitted).
    :raises ValidationError: on ``fq`` naming an unknown field or using syntax outside this subset.
    """
    allowed = tuple(allowed)
    now = now or datetime.now(UTC)
    if len(text) > MAX_FQ:
        raise _invalid("fq", f"fq 过长（最多 {MAX_FQ} 个字符）。", f"fq is too long (at most {MAX_FQ} characters).")
    filters: dict[str, list[str]] = {}
    modified: ModifiedRange | None = None
    position, clauses = 0, 0
    text = text.rstrip()
    while position < len(text):
        found = _CLAUSE.match(text, position)
        if not found or found.end() == position:
            snippet = text[position:position + 40].strip()
            raise _invalid("fq", f"无法识别 fq 中的“{snippet}”；请写成 字段:值。",
                           f"fq: cannot read {snippet!r}; write field:value clauses.")
        position = found.end()
        if found.group("op"):
            if found.group("op") not in ("AND", "&&"):
                raise _invalid("fq", "fq 的条件之间只支持 AND。", "fq: only AND is supported between clauses.")
            continue
        clauses += 1
        if clauses > MAX_CLAUSES:
            raise _invalid("fq", f"fq 条件过多（最多 {MAX_CLAUSES} 个）。",
                           f"fq has too many clauses (at most {MAX_CLAUSES}).")
        name, raw = found.group("field"), found.group("value")
        if found.group("sign") == "-":
            raise _invalid("fq", "fq 不支持排除（-字段:值）。", "fq: exclusions (-field:value) are not supported.")
        if name == "metadata_modified":
            if modified is not None:
                raise _invalid("fq", "fq 只能有一个 metadata_modified 区间。", "fq: at most one metadata_modified range.")
            modified = _range(raw, now)
            continue
        if raw[0] in "[{":
            raise _invalid("fq", f"字段“{name}”不支持区间。", f"fq: field {name!r} takes no range.")
        values = _values(raw)
        if all((name, value) in NO_OPS for value in values):
            continue
        ours = ALIASES.get(name, name)
        if ours not in allowed:
            known = ", ".join([*allowed, *(a for a, f in ALIASES.items() if f in allowed), "metadata_modified"])
            raise _invalid("fq", f"fq 中的字段“{name}”未知；可用：{known}。",
                           f"fq: unknown field {name!r}; known fields: {known}.")
        if name == "organization" and organizations:
            values = [organizations.get(value, value) for value in values]
        filters.setdefault(ours, []).extend(values)
    return FilterQuery({k: tuple(dict.fromkeys(v)) for k, v in filters.items()}, modified)


def facet_field(name: str, allowed: Iterable[str]) -> str:
    """Our facet field for a CKAN ``facet.field`` entry (our names, ``organization``, ``groups``).

    :raises ValidationError: naming the unknown field and the known ones.
    """
    allowed = tuple(allowed)
    ours = ALIASES.get(name, name)
    if ours not in allowed:
        known = ", ".join([*allowed, *(a for a, f in ALIASES.items() if f in allowed)])
        raise _invalid("facet.field", f"未知的分面字段“{name[:60]}”；可用：{known}。",
                       f"Unknown facet field {name[:60]!r}; known fields: {known}.")
    return ours


def search_sort(text: str | None) -> str:
    """Our sort name for a CKAN ``sort`` (see :data:`SORT_CLAUSES`; our own names are accepted too).

    :raises ValidationError: for a sort we cannot honour.
    """
    clauses = [" ".join(part.split()).lower() for part in (text or "").split(",") if part.strip()]
    if not clauses:
        return "relevance"
    first = clauses[0]
    if first in SORTS:
        return first
    if first in SORT_CLAUSES:
        return SORT_CLAUSES[first]
    known = ", ".join(SORT_CLAUSES)
    raise _invalid("sort", f"不支持的排序“{first[:60]}”；可用：{known}。",
                   f"Unsupported sort {first[:60]!r}; supported: {known}.")


def filter_fields(signed_in: bool) -> tuple[str, ...]:
    """Our facet fields an actor may filter and count by (``status`` only when signed in)."""
    return tuple(name for name, f in FACETS.items() if signed_in or not f.signed_in_only)
