"""The headings of fill-in sheets as departments and platforms really write them, mapped to template fields.

Mulu's own template and the guide's 1272 template name their columns one way; the sheets departments
fill in, and the import templates of other catalog platforms, name them many others: 资源名称 for
信息资源名称, 提供单位 for 信息资源提供方, 数据项名称 for 信息项名称, ``*信息资源名称`` or
``信息资源名称（必填项）`` with the required marker in the heading, 信息资源共享类型 with the
``信息资源`` prefix. :class:`HeadingIndex` resolves any of them to the field path of a
:class:`catalog.template.Column`; what it cannot resolve stays an unknown column, which the import
reports, so nothing a department wrote is dropped without a word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

SEQUENCE_HEADER = "序号"
# Internal paths the reader resolves itself once the record is complete (catalog.template.finish_record).
COMBINED_FORMAT = "_format"
CLASSIFICATION_LEVEL = "_classification_level."
PUBLISHED_ON = "published_on"

# Spellings seen in real sheets and platform import templates (see the module docstring), by field path.
# Keys are matched after folding (full-width, spaces, required markers and notes in brackets ignored),
# so each spelling is listed once. The 信息资源 prefix is also tried on and off (资源摘要, 信息资源更新周期).
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "title": ("信息类名称", "信息资源目录名称", "数据资源目录名称", "数据资源名称", "资源目录名称"),
    "classification_code": ("信息资源分类编码", "资源分类编码", "分类编码", "分类代码"),
    "code": ("资源编码", "信息资源编码"),
    "department.name": ("信息资源提供方", "提供方", "提供方名称", "信息资源提供单位", "提供单位", "资源提供单位",
                        "信息资源提供部门", "提供部门", "资源提供部门", "数据提供单位", "数据提供部门", "数据资源提供部门",
                        "部门名称", "单位名称", "目录提供方"),
    "department.uscc": ("提供方代码", "提供单位代码", "提供部门代码", "部门代码", "统一社会信用代码",
                        "提供方统一社会信用代码"),
    "provider_unit": ("内设部门名称", "内设部门", "内设机构", "内设机构名称", "下设机构名称", "提供方内部部门名称",
                      "部门内设科室或内部部门", "责任处室"),
    "abstract": ("摘要", "信息类摘要", "信息资源描述", "资源描述", "信息资源简介", "资源简介", "数据资源目录描述"),
    "format.description": ("格式描述", "格式说明", "资源格式说明", "信息资源格式分类备注"),
    "share.type": ("共享属性",),
    "share.basis": ("不共享依据", "不予共享理由"),
    "share.method_class": ("共享方式分类",),
    "share.method": ("共享方式类型",),
    "open.is_open": ("是否社会开放", "是否开放", "是否向社会公众开放"),
    "open.type": ("开放属性",),
    "update_cycle": ("更新频率", "更新频次"),
    "related_codes": ("关联资源编码",),
    "theme": ("主题分类",),
    "keywords": ("关键词",),
    "source_system": ("所属系统名称", "所属信息系统", "所属业务系统名称", "来源系统"),
    "record_count": ("数据记录数", "记录数", "结构化信息记录总数"),
    "distributions": ("在线资源链接地址", "在线资源地址"),
    "items.name": ("数据项名称", "信息项", "信息项信息", "信息项中文名称", "数据项中文名称", "信息项业务名称"),
    "items.data_type": ("数据项类型", "信息项数据类型", "信息项类型"),
    "items.length": ("数据项长度", "信息项数据长度", "信息项长度"),
    "items.description": ("数据项描述", "数据项说明", "信息项描述"),
    SEQUENCE_HEADER: ("序号", "编号"),
    # One column for both format class and type (电子表格/xlsx), or the group heading over the two.
    COMBINED_FORMAT: ("信息资源格式", "格式"),
    # 发布日期 is recorded by Mulu when the resource is published: read, never stored from a sheet.
    PUBLISHED_ON: ("发布日期", "发布时间", "信息资源发布日期"),
}
# The classification split over one column per level (类, 项, 目, 细目), as in the 1272 import sheets.
CLASSIFICATION_LEVELS: Mapping[int, tuple[str, ...]] = {
    1: ("类分类", "类", "一级分类", "信息资源分类1"),
    2: ("项分类", "项", "二级分类", "信息资源分类2"),
    3: ("目分类", "目", "三级分类", "信息资源分类3"),
    4: ("细目分类", "细目", "细目分类1", "四级分类", "信息资源分类4"),
    5: ("细目分类2", "五级分类", "信息资源分类5"),
}
# With level columns beside it, this heading holds the first level, not the whole code.
_LEVEL_ONE_WITH_LEVELS = ("部门类信息资源分类", "信息资源分类")

# Spellings that are also everyday names of information items (a 法人 register has an item 单位名称): they
# name a column once the header row is found, but do not make a row the header row — the first data row
# holding such an item would otherwise be merged into a two-row header.
_NOT_A_HEADER_ROW_SIGN = ("单位名称", "部门名称", "统一社会信用代码", "部门代码", "提供单位", "编号", "摘要", "格式",
                          "类", "项", "目", "细目", "信息项", "关键词", "记录数", "数据记录数", "发布日期", "发布时间",
                          "来源系统", "主题分类")

_MARKERS = "*＊※★☆\"'“”‘’「」"
_NOTE = re.compile(r"[(（\[【〔][^()（）\[\]【】〔〕]*[)）\]】〕]")
# Several headings for one field: which wins is told by the more specific spelling (共享方式类型 over 共享方式).
_SHARE_METHOD_SPECIFIC = "类型"


def fold(heading: str) -> str:
    """A heading as typed in any sheet: full-width characters, line breaks and spaces do not matter."""
    return "".join(unicodedata.normalize("NFKC", str(heading)).split()).casefold()


def loose(heading: str) -> str:
    """:func:`fold`, and without required markers (``*``) or notes in brackets (``（必填项）``, ``【国】``)."""
    text = fold(heading).strip(_MARKERS)
    while True:
        stripped = _NOTE.sub("", text).strip(_MARKERS)
        if stripped == text:
            return text
        text = stripped


class HeadingIndex:
    """Resolves sheet headings to field paths: the columns' own headings first, then real-world spellings.

    :param own: ``{heading: path}`` of the template's columns (every heading that names a column).
    """

    def __init__(self, own: Mapping[str, str]):
        self._exact = {fold(heading): path for heading, path in own.items()}
        self._loose: dict[str, str] = {}
        for heading, path in own.items():
            self._loose.setdefault(loose(heading), path)
        for path, spellings in SYNONYMS.items():
            for spelling in spellings:
                self._loose.setdefault(loose(spelling), path)
        for level, spellings in CLASSIFICATION_LEVELS.items():
            for spelling in spellings:
                self._loose[loose(spelling)] = f"{CLASSIFICATION_LEVEL}{level}"

    def path(self, heading: str) -> str | None:
        """The field path a heading names, or ``None`` for a heading the template does not know."""
        exact = self._exact.get(fold(heading))
        if exact is not None:
            return exact
        text = loose(heading)
        for candidate in (text, text.removeprefix("信息资源"), "信息" + text if text.startswith("资源") else None):
            if candidate and candidate in self._loose:
                return self._loose[candidate]
        return None

    def is_heading(self, cell: str) -> bool:
        """Whether a cell reads as a template heading (used to find the header row below a title).

        Group headings of two-row headers count (共享属性, 信息项信息); spellings that are also common
        item names (单位名称, 编号) do not.
        """
        return self.path(cell) is not None and loose(cell) not in _WEAK

    def resolve(self, headings: Iterable[str]) -> dict[str, str]:
        """``{heading: path}`` for the headings of one sheet.

        Within one sheet, a field named by two headings is read from the first; the second stays
        unknown (and is reported when filled in) rather than overwriting it silently — except 共享方式
        beside 共享方式类型, which is the method's class. With 项分类 (and so on) beside it,
        信息资源分类 is the first level of the classification.
        """
        found = {heading: path for heading in headings if heading and (path := self.path(heading)) is not None}
        if any(path.startswith(CLASSIFICATION_LEVEL) and path != f"{CLASSIFICATION_LEVEL}1" for path in found.values()):
            for heading, path in found.items():
                if path == "classification_code" and loose(heading) in {loose(h) for h in _LEVEL_ONE_WITH_LEVELS}:
                    found[heading] = f"{CLASSIFICATION_LEVEL}1"
        methods = [h for h, path in found.items() if path == "share.method"]
        if len(methods) > 1 and any(_SHARE_METHOD_SPECIFIC in loose(h) for h in methods):
            for heading in methods:
                if _SHARE_METHOD_SPECIFIC not in loose(heading):
                    found[heading] = "share.method_class"
        resolved: dict[str, str] = {}
        taken: set[str] = set()
        for heading, path in found.items():
            if path in taken and path != SEQUENCE_HEADER:
                continue
            taken.add(path)
            resolved[heading] = path
        return resolved


_WEAK = frozenset(loose(spelling) for spelling in _NOT_A_HEADER_ROW_SIGN)
