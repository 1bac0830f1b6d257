"""信息资源代码 (resource codes): build, parse and hand out sequence numbers safely under concurrency.

信息资源代码 = 分类码 "/" 顺序码; 分类码 = 类 (1 digit) + 项 (2) + 目 (3) + 细目 (0–10 digits);
顺序码 is a zero-padded sequence per 分类码 (6 digits by default, ``MULU_CODE_SEQUENCE_WIDTH``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from catalog.models import CodeSequence

MAX_SUBCATEGORY_DIGITS = 10
# ASCII digits only (\d would take full-width and other Unicode digits), matched with fullmatch
# (a "$" would let a trailing newline through into stored codes).
_CLASSIFICATION = re.compile(r"(?P<cls>[1-9])(?P<item>\d{2})(?P<category>\d{3})(?P<sub>\d{0,10})", re.ASCII)
_CODE = re.compile(r"(?P<classification>\d+)/(?P<sequence>\d+)", re.ASCII)


class CodeError(ValueError):
    """A malformed code; ``rule`` is a stable key (``shape``, ``classification``, ``sequence``)."""

    def __init__(self, rule: str, value: str):
        super().__init__(f"{rule}: {value!r}")
        self.rule = rule
        self.value = value


@dataclass(frozen=True)
class Classification:
    """The parts of a 分类码."""

    cls: str
    item: str
    category: str
    subcategory: str

    @property
    def code(self) -> str:
        return f"{self.cls}{self.item}{self.category}{self.subcategory}"

    @property
    def item_notation(self) -> str:
        """The 项 as the vocabulary writes it: 类 + 项, e.g. ``307``."""
        return f"{self.cls}{self.item}"


@dataclass(frozen=True)
class ResourceCode:
    """A parsed 信息资源代码."""

    classification: Classification
    sequence: int
    sequence_text: str

    def __str__(self) -> str:
        return f"{self.classification.code}/{self.sequence_text}"


def parse_classification(value: str) -> Classification:
    """Split a 分类码 into 类, 项, 目 and 细目.

    :raises CodeError: ``classification`` when it is not 6–16 digits starting with 1–9.
    """
    match = _CLASSIFICATION.fullmatch(value or "")
    if not match:
        raise CodeError("classification", value)
    return Classification(match["cls"], match["item"], match["category"], match["sub"])


def parse(value: str, *, width: int | None = None) -> ResourceCode:
    """Parse a 信息资源代码 such as ``30701502/000031``.

    :param value: the code.
    :param width: when given, the 顺序码 must have exactly this many digits.
    :raises CodeError: ``shape`` (no single "/" between digits), ``classification`` or ``sequence``.
    """
    match = _CODE.fullmatch((value or "").strip())
    if not match:
        raise CodeError("shape", value)
    classification = parse_classification(match["classification"])
    sequence_text = match["sequence"]
    if (width is not None and len(sequence_text) != width) or int(sequence_text) == 0:
        raise CodeError("sequence", value)
    return ResourceCode(classification, int(sequence_text), sequence_text)


def format_code(classification_code: str, sequence: int, width: int = 6) -> str:
    """Build the code string from its 分类码 and 顺序码.

    :raises CodeError: ``classification`` for a malformed 分类码; ``sequence`` when the number is
        below 1 or needs more than ``width`` digits (the code would no longer have its fixed shape).
    """
    parse_classification(classification_code)
    if not 1 <= sequence < 10**width:
        raise CodeError("sequence", f"{classification_code}/{sequence}")
    return f"{classification_code}/{sequence:0{width}d}"


def next_sequence(session: Session, classification_code: str) -> int:
    """Take the next 顺序码 under a 分类码, atomically.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: the row lock it takes holds until the
    caller's transaction ends, so parallel registrations queue and can never receive the same number,
    and the counter never goes down, so the number of a stored code is never handed out again (not even
    after withdrawal). The counter moves with the caller's transaction: if that rolls back, no code
    kept the number and it is handed out again.

    :param session: the caller's session (the caller commits).
    :param classification_code: the 分类码.
    :returns: the new sequence number (1 for the first code under this 分类码).
    """
    table = CodeSequence.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(classification_code=classification_code, last_value=1)
        .on_conflict_do_update(index_elements=[table.c.classification_code], set_={"last_value": table.c.last_value + 1})
        .returning(table.c.last_value)
    )
    return int(session.execute(statement).scalar_one())
